//! Switchboard's application, compiled twice — for the server (`ssr`) and for the browser (`hydrate`).
//! Each folder says which side its code runs on:
//! - `shared`: types, rules and addresses that the browser and the server both use;
//! - `ui`: the pages and components (rendered on the server, hydrated in the browser), with the server
//!   functions they call beside them;
//! - `server`: the services behind those server functions and the command line, only on the server.

#[cfg(feature = "ssr")]
pub mod server;
pub mod shared;
pub mod ui;

pub use ui::app::{shell, App};
