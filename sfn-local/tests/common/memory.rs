//! A counting global allocator for the test binaries that bound memory (issue 11): per
//! thread, the bytes allocated and not yet freed, their peak, and the number of
//! allocations. A binary opts in with
//! `#[global_allocator] static ALLOC: common::memory::Counting = common::memory::Counting;`
//! and measures a closure with [`measure`]. Counting per thread keeps tests that run in
//! parallel out of each other's figures; what is measured must run on the calling thread
//! (a current-thread tokio runtime does).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting.
pub struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn allocated(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + size;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
    let _ = COUNT.try_with(|count| count.set(count.get() + 1));
}

fn freed(size: usize) {
    // Memory allocated on another thread and freed here would underflow: saturate.
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping only touches
// const-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            allocated(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            allocated(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        freed(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            freed(layout.size());
            allocated(new_size);
        }
        p
    }
}

/// What [`measure`] saw.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// The most bytes live at once on this thread, above what was live before.
    pub peak_bytes: usize,
    /// Allocations (and reallocations) made on this thread.
    pub allocations: u64,
}

/// Runs `f` on this thread and reports its peak memory and allocation count (all zero
/// when the binary does not install [`Counting`]).
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let count_before = COUNT.with(Cell::get);
    let value = f();
    let usage = Usage {
        peak_bytes: PEAK.with(Cell::get).saturating_sub(base),
        allocations: COUNT.with(Cell::get) - count_before,
    };
    (value, usage)
}
