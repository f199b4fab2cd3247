//! Bulk jobs: whom a job may act on, starting and reading jobs, the reset engine, recycling the reset
//! extensions, the worker that runs jobs in batches (and the operator's hold on it), and the live
//! progress streams.

pub mod hold;
pub mod jobs;
pub mod live;
pub mod recycle;
pub mod reset;
pub mod schedule;
pub mod spreadsheet;
pub mod targets;
pub mod worker;
