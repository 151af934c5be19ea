//! The tokio runtime ferrocrawl owns: started on first use, shut down at interpreter exit
//! with the GIL released, and replaced in a forked child (the parent's worker threads do not
//! exist there, so the old runtime is leaked rather than dropped, which would wait on them).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use tokio::runtime::{Builder, Handle, Runtime};

static RUNTIME: RwLock<Option<Runtime>> = RwLock::new(None);
/// Bumped in a forked child; sessions compare it to know their connections are stale.
static GENERATION: AtomicU64 = AtomicU64::new(0);

pub fn handle() -> Handle {
    if let Some(rt) = RUNTIME.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
        return rt.handle().clone();
    }
    let mut slot = RUNTIME.write().unwrap_or_else(PoisonError::into_inner);
    slot.get_or_insert_with(build).handle().clone()
}

fn build() -> Runtime {
    Builder::new_multi_thread()
        .thread_name("ferrocrawl")
        .enable_all()
        .build()
        .expect("cannot start the tokio runtime")
}

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Called in the child right after `os.fork()`.
pub fn after_fork_in_child() {
    let old = RUNTIME.write().unwrap_or_else(PoisonError::into_inner).take();
    std::mem::forget(old);
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Called at interpreter exit (atexit), without the GIL: in-flight tasks are cancelled.
pub fn shutdown() {
    let old = RUNTIME.write().unwrap_or_else(PoisonError::into_inner).take();
    if let Some(rt) = old {
        rt.shutdown_timeout(Duration::from_secs(1));
    }
}
