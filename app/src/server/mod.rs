//! Everything that runs only on the server: the database, the rules of who may do what, and the
//! operations behind the server functions and the command line. Plain async Rust over a SeaORM
//! connection, so that the CLI, the server functions and the tests all call the same code.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod csp;
pub mod db;
pub mod directory;
pub mod entities;
pub mod error_response;
pub mod mail;
pub mod provisioning;
pub mod settings;
pub mod tasks;
pub mod time;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use settings::Settings;
use std::sync::Arc;

/// What every request handler and server function shares: the site's options, the pool, the
/// operator's settings, the queue of sign-ins and the replica's live progress streams.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// The sign-ins being checked or waiting to be.
    pub sign_ins: Arc<auth::passwords::Queue>,
    pub live: Arc<bulk::live::Hub>,
    /// The identity providers' changes waiting their domain's turn (`provisioning::turns`).
    pub provisioning: Arc<provisioning::turns::Turns>,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: DatabaseConnection, settings: Settings) -> Self {
        let sign_ins = Arc::new(auth::passwords::Queue::new(settings.signin.queue));
        let live = Arc::new(bulk::live::Hub::new(db.clone(), &settings));
        let provisioning = Arc::default();
        AppState { leptos_options, db, settings: Arc::new(settings), sign_ins, live, provisioning }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
