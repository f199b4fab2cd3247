//! Bulk jobs on the server: whom a job may act on (`reach`), a job's life and bookkeeping (`jobs`), the
//! actions a job can do (`actions`), when a scheduled one starts (`schedule`), how far jobs have got
//! (`progress`), the worker that runs them in batches (with the operator's `hold` on it and a
//! domain's users per hour, `rate`), why a running job waits (`waiting`), their live progress streams
//! (`live`) and their results as a spreadsheet.

pub mod actions;
pub mod hold;
pub mod jobs;
pub mod live;
pub mod progress;
pub mod rate;
pub mod reach;
pub mod schedule;
pub mod spreadsheet;
pub mod waiting;
pub mod worker;
