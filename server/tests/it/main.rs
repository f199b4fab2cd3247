//! The server's integration tests, in one binary (one link instead of one per file): server
//! functions over HTTP through the real router, pages, the CLI, on a real database.

mod auth;
mod bulk_reset;
mod cli;
mod common;
mod crash;
mod database;
mod email;
mod pages;
mod scopes;
mod smtp;
mod users_page;
