//! How the server hands memory back to the system. Every Argon2 check (a sign-in makes several, to
//! take the same time whatever the login) needs 19 MiB for a moment, on whichever of the blocking
//! pool's threads runs it. glibc's allocator raises its mmap threshold once the first such block is
//! freed, so the next ones come from the threads' arenas and stay there: measured on the release
//! build, three sign-ins left the process at 150 MB and six more at once at 327 MB, from 29 MB idle.
//! A fixed threshold turns that adjustment off: every block of `LARGE_BLOCK` or more is mapped on its
//! own and returned when freed (then 31 MB and 33 MB, peaking at 71 MB while two checks run), without
//! weakening the hashing's parameters.

/// Allocations of this size or more are mapped on their own (glibc's default starts at 128 KiB and
/// grows to 32 MiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LARGE_BLOCK: libc::c_int = 1024 * 1024;

/// Call once, first thing in `main`, before other threads allocate.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets one of the allocator's parameters, to a valid value, and is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
    }
}
