//! Bulk jobs as the browser and the server both see them: what a job is asked to do and how far it has
//! got, what a reset may clear, whom a job is for and when it runs, and the Recycle Users form's rows.

mod job;
pub mod new_hires;
mod recycle_form;
mod reset_options;
mod targets;
mod waiting;
mod when;

pub use job::*;
pub use recycle_form::*;
pub use reset_options::*;
pub use targets::*;
pub use waiting::*;
pub use when::*;

/// One job handles at most this many users: a whole large domain, but not an unbounded request.
pub const MAX_JOB_USERS: usize = 10_000;
