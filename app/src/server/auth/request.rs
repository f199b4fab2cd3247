//! What a server function knows of the HTTP request it serves: the shared state, the signed-in actor
//! (read from the session cookie), the client, and a way to set cookies on the response.

use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::auth::client::Client;
use crate::server::auth::sessions::{self, Origin};
use crate::server::directory::domains;
use crate::server::AppState;
use crate::shared::error::AppError;
use cookie::Cookie;
use http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use sea_orm::{DatabaseConnection, DbErr};

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in the server function's context"))
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| AppError::internal("the request is not in context"))
}

/// Who sent a request: resolved once per request by the server's session middleware and handed to
/// pages and server functions in the request's extensions, with the `Client`.
#[derive(Clone, Debug)]
pub struct Identity(pub Option<Actor>);

impl Identity {
    /// The signed-in user, or `NotSignedIn`; `PasswordChangeRequired` while an admin's forced
    /// password reset waits for them to choose a new one.
    pub fn admitted(self) -> Result<Actor, AppError> {
        let actor = self.0.ok_or(AppError::NotSignedIn)?;
        if actor.must_change_password {
            return Err(AppError::PasswordChangeRequired);
        }
        Ok(actor)
    }
}

/// The session token from the request's cookie, if it sent one.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = sessions::cookie_name(&state.settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_string())
}

/// The user whose live session the request's cookie names, if any (using the session renews it).
pub async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Actor>, DbErr> {
    match session_token(state, headers) {
        Some(token) => sessions::actor(&state.db, &token, &state.settings.sessions).await,
        None => Ok(None),
    }
}

/// The signed-in user, or `NotSignedIn`; `PasswordChangeRequired` while an admin's forced password
/// reset waits for them to choose a new one: every server function but the few that lead there
/// (`signed_in`) refuses them.
pub async fn actor(state: &AppState) -> Result<Actor, AppError> {
    Identity(Some(signed_in(state).await?)).admitted()
}

/// The signed-in user, even one who must change their password first.
pub async fn signed_in(state: &AppState) -> Result<Actor, AppError> {
    let parts = parts()?;
    let actor = match parts.extensions.get::<Identity>() {
        Some(Identity(actor)) => actor.clone(),
        // Served without the session middleware (it is in `server::router`): look it up here.
        None => identify(state, &parts.headers).await?,
    };
    actor.ok_or(AppError::NotSignedIn)
}

/// The pool, and the signed-in admin with the domain `name` if they may manage it: the start of every
/// server function about one domain. Names the domain in the log span.
pub async fn managing(name: &str) -> Result<(DatabaseConnection, ManagedDomain), AppError> {
    let state = state()?;
    let actor = actor(&state).await?;
    let managed = domains::managed(&state.db, &actor, name).await?;
    tracing::Span::current().record("domain", managed.domain().name.as_str());
    Ok((state.db, managed))
}

/// The client of the request being served (the session middleware puts it in the request).
pub fn client() -> Client {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<Client>().copied())
        .unwrap_or(Client { addr: None, https: false })
}

/// Where the portal is reached, as the request being served says (`Settings::site`).
pub fn site(state: &AppState) -> Result<String, AppError> {
    Ok(state.settings.site(&parts()?.headers, client().https))
}

/// The client's address as the audit log keeps it.
pub fn client_addr() -> Option<String> {
    client().addr.map(|addr| addr.to_string())
}

/// Who is signing in, from where, and with which session the browser came.
pub fn origin(state: &AppState) -> Result<Origin, AppError> {
    let parts = parts()?;
    let user_agent = parts.headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).map(str::to_string);
    Ok(Origin { addr: client().addr, user_agent, presented: session_token(state, &parts.headers) })
}

/// The session token of the request being served.
pub fn request_session_token(state: &AppState) -> Option<String> {
    use_context::<Parts>().and_then(|parts| session_token(state, &parts.headers))
}

/// Gives the browser the session cookie for `token` (`None`: makes it forget its session).
pub fn set_session_cookie(state: &AppState, token: Option<String>) -> Result<(), AppError> {
    let https = client().https;
    let cookie = match token {
        Some(token) => sessions::cookie(&state.settings, token, https),
        None => sessions::removal_cookie(&state.settings, https),
    };
    let value = HeaderValue::from_str(&cookie.to_string()).map_err(AppError::internal)?;
    let response = use_context::<ResponseOptions>()
        .ok_or_else(|| AppError::internal("ResponseOptions is not in the server function's context"))?;
    response.append_header(header::SET_COOKIE, value);
    Ok(())
}
