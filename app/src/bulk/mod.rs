//! Bulk jobs as the browser and the server both see them: what a reset may clear, what a job is
//! asked to do, how far it has got, and the Recycle Users form's rows.

mod jobs;
pub mod new_hires;
mod options;
mod recycle;
mod targets;

pub use jobs::*;
pub use options::*;
pub use recycle::*;
pub use targets::*;

/// One job handles at most this many users: a whole large domain, but not an unbounded request.
pub const MAX_JOB_USERS: usize = 10_000;
