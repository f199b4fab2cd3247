//! The server's integration tests, in one binary (one link instead of one per file): server
//! functions over HTTP through the real router, pages, the CLI, on a real database.

mod auth;
mod authz_matrix;
mod bulk_reset;
mod cli;
mod common;
mod content;
mod crash;
mod database;
mod email;
mod headers;
mod holdings;
mod live;
mod load;
mod pages;
mod requests;
mod scopes;
mod sessions;
mod smtp;
mod throttle;
mod users_page;
