//! Work beside the web server: the loop that runs a task in rounds until asked to stop, the leases
//! that let several replicas share that work without doing any of it twice, and the fair share of each
//! round between the domains waiting for it.

pub mod leases;
pub mod runner;
pub mod share;
