//! The tokio runtime ferrocrawl owns: started on first use, stopped by `ferrocrawl.shutdown()`
//! and at interpreter exit with the GIL released, and replaced in a forked child (the
//! parent's worker threads do not exist there, so the old runtime is leaked rather than
//! dropped, which would wait on them).
//!
//! Fork safety: tokio threads never take a lock here (inside the runtime `handle()` is
//! `Handle::current()`), and Python threads take `RUNTIME` only while holding the GIL, which
//! `os.fork()` also holds: a child can never inherit it locked. The hot path reads a
//! per-thread copy of the handle, checked against `GENERATION`, so it takes no lock at all.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

/// Locked only by threads that hold the GIL (see the module comment).
static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);
/// Bumped whenever the runtime is replaced (fork, shutdown): sessions compare it to know
/// their connections are stale, and per-thread handles to know they are.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static CACHED: RefCell<Option<(u64, Handle)>> = const { RefCell::new(None) };
}

/// The runtime to spawn on. Inside it, the current one; elsewhere (a Python thread) the
/// global, started on first use.
pub fn handle() -> Handle {
    if let Ok(current) = Handle::try_current() {
        return current;
    }
    let generation = GENERATION.load(Ordering::Acquire);
    CACHED.with(|cached| {
        if let Some((g, h)) = &*cached.borrow() {
            if *g == generation {
                return h.clone();
            }
        }
        let (g, h) = {
            let mut slot = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner);
            let h = slot.get_or_insert_with(build).handle().clone();
            (GENERATION.load(Ordering::Acquire), h)
        };
        *cached.borrow_mut() = Some((g, h.clone()));
        h
    })
}

const BLOCKING_THREADS: usize = 64;

fn build() -> Runtime {
    Builder::new_multi_thread()
        .thread_name("ferrocrawl")
        // Blocking work is page analysis (CPU-bound), DNS lookups and file writes: tokio's
        // default of 512 threads let a burst of a wide crawl grow the RSS by ~300 MB of
        // thread heaps (bench/load_hosts.py); past this many, tasks wait their turn.
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime")
}

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Called in the child right after `os.fork()` (the only thread there, holding the GIL).
pub fn after_fork_in_child() {
    let old = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner).take();
    std::mem::forget(old);
    GENERATION.fetch_add(1, Ordering::AcqRel);
    CACHED.with(|cached| std::mem::forget(cached.borrow_mut().take()));
}

/// Takes the runtime out (GIL held); the next `handle()` starts a fresh one.
pub fn take() -> Option<Runtime> {
    let old = RUNTIME.lock().unwrap_or_else(PoisonError::into_inner).take();
    GENERATION.fetch_add(1, Ordering::AcqRel);
    old
}

/// Stops a runtime from [`take`]; call it without the GIL. In-flight tasks are cancelled
/// (their awaiting futures get an error).
pub fn stop(rt: Runtime) {
    rt.shutdown_timeout(Duration::from_secs(1));
}
