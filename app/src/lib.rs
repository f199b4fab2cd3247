//! Switchboard's application: routes, components and server functions, compiled twice — for the
//! server (`ssr`) and for the browser (`hydrate`). Server-only code lives in `server`.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod bulk;
pub mod components;
pub mod error;
pub mod mail;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod validate;
pub mod words;

pub use app::{shell, App};
