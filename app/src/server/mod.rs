//! Everything that runs only on the server: the database, the rules of who may do what, and the
//! operations behind the server functions and the command line. Plain async Rust over a SeaORM
//! connection, so that the CLI, the server functions and the tests all call the same code.

pub mod audit;
pub mod authz;
pub mod background;
pub mod client;
pub mod counts;
pub mod credentials;
pub mod csp;
pub mod db;
pub mod demo;
pub mod domains;
pub mod entities;
pub mod first_sign_in;
pub mod jobs;
pub mod leases;
pub mod links;
pub mod live;
pub mod mailer;
pub mod messages;
pub mod outbox;
pub mod passwords;
pub mod recycle;
pub mod request;
pub mod reset;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod spreadsheet;
pub mod targets;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod worker;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use settings::Settings;
use std::sync::Arc;

/// What every request handler and server function shares: the site's options, the pool and the
/// operator's settings.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
