//! The server's integration tests, in one binary (one link instead of one per file): server
//! functions over HTTP through the real router, pages, the CLI, on a real database.

mod accounts;
mod auth;
mod bulk;
mod cli;
mod common;
mod content;
mod database;
mod headers;
mod load;
mod logs;
mod mail;
mod pages;
mod requests;
mod scim;
mod smtp;
mod upgrade;
mod users_page;
