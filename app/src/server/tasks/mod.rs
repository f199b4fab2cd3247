//! Work beside the web server: the loop that runs a task in rounds until asked to stop, and the
//! leases that let several replicas share that work without doing any of it twice.

pub mod leases;
pub mod runner;
