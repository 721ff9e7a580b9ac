//! Freed memory handed back to the system between stages, so gen's peak is what the next stage holds.

/// Returns the free pages mimalloc holds to the system now. It keeps a page it freed for a second (its purge delay)
/// in case it is wanted again, and pages that threads left behind when they ended: at 21,000 sources gen's peak
/// resident memory carried several MiB of them. (Harmless when mimalloc is not the allocator: nothing to return.)
pub fn give_back() {
    // SAFETY: `mi_collect` only walks and releases the allocator's own free memory; any thread may call it at any time
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// mimalloc's `mi_option_purge_delay` (the same place in its v2 and v3 option lists).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Pages freed from now on go back to the system at once, not after mimalloc's 10 ms delay: gen frees between its
/// stages and on other threads than the ones that ask next, and a page kept for a reuse that does not come is resident
/// for nothing (peak RSS at 21,001 sources 31.8 → 30.0 MiB, for 3% more time). Set where a plan is made (gen, explain,
/// watch); an edge keeps mimalloc's default.
pub fn purge_at_once() {
    // SAFETY: setting an option is a store mimalloc reads at its next purge; any thread may do it at any time
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}
