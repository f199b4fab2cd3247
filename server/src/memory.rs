//! How the server hands memory back to the system. Every Argon2 check (a sign-in makes several, to
//! take the same time whatever the login) needs 19 MiB for a moment, on whichever of the blocking
//! pool's threads runs it. glibc's allocator raises its mmap threshold once the first such block is
//! freed, so the next ones come from the threads' arenas and stay there: measured on the release
//! build, three sign-ins left the process at 150 MB and six more at once at 327 MB, from 29 MB idle.
//! A fixed threshold turns that adjustment off: every block of `LARGE_BLOCK` or more is mapped on its
//! own and returned when freed (then 31 MB and 33 MB, peaking at 71 MB while two checks run), without
//! weakening the hashing's parameters. Fewer arenas (`ARENAS_PER_CORE`) keep the free space the
//! allocator holds from growing with the number of threads.

/// Allocations of this size or more are mapped on their own (glibc's default starts at 128 KiB and
/// grows to 32 MiB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const LARGE_BLOCK: libc::c_int = 1024 * 1024;

/// How many arenas glibc may keep, per core. By default a thread that meets another in the allocator
/// gets an arena of its own, up to eight per core: the runtime's workers, the blocking pool's threads and
/// the thread of each pooled SQLite connection each end up with one, and each arena keeps the free space
/// of its own busiest moment. In 5-minute soaks on 2 cores, the free space held grew from 6 to 10 MB with
/// the default and stayed between 2.5 and 7 MB with two arenas. Two arenas in all cost 13% of requests/s
/// (threads waiting for one another); four were as fast as the default.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const ARENAS_PER_CORE: usize = 2;

/// Call once, first thing in `main`, before other threads allocate.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let arenas = libc::c_int::try_from(cores * ARENAS_PER_CORE).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets the allocator's parameters, to valid values, and is called before
        // any other thread exists.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
