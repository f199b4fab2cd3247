//! What a server function knows of the HTTP request it serves: the shared state, the signed-in actor
//! (read from the session cookie), the client's address, and a way to set cookies on the response.

use super::authz::Actor;
use super::entities::domain;
use super::{sessions, AppState};
use crate::error::AppError;
use cookie::Cookie;
use http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in the server function's context"))
}

fn header_value(name: header::HeaderName) -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts.headers.get(name)?.to_str().ok().map(str::to_string)
}

/// Who sent a request: resolved once per request by the server's session middleware and handed to
/// pages and server functions in the request's extensions.
#[derive(Clone, Debug)]
pub struct Identity(pub Option<Actor>);

/// The session token from the request's cookie, if it sent one.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == sessions::COOKIE_NAME)
        .map(|cookie| cookie.value().to_string())
}

/// The user whose live session the request's cookie names, if any.
pub async fn identify(db: &DatabaseConnection, headers: &HeaderMap) -> Result<Option<Actor>, DbErr> {
    match session_token(headers) {
        Some(token) => sessions::actor(db, &token).await,
        None => Ok(None),
    }
}

/// The session token of the request being served.
pub fn request_session_token() -> Option<String> {
    use_context::<Parts>().and_then(|parts| session_token(&parts.headers))
}

/// The signed-in user, or `NotSignedIn`; `PasswordChangeRequired` while an admin's forced password
/// reset waits for them to choose a new one: every server function but the few that lead there
/// (`signed_in`) refuses them.
pub async fn actor(state: &AppState) -> Result<Actor, AppError> {
    let actor = signed_in(state).await?;
    if actor.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(actor)
}

/// The signed-in user, even one who must change their password first.
pub async fn signed_in(state: &AppState) -> Result<Actor, AppError> {
    let parts = use_context::<Parts>().ok_or_else(|| AppError::internal("the request is not in context"))?;
    let actor = match parts.extensions.get::<Identity>() {
        Some(Identity(actor)) => actor.clone(),
        // Served without the session middleware (it is in `server::router`): look it up here.
        None => identify(&state.db, &parts.headers).await?,
    };
    actor.ok_or(AppError::NotSignedIn)
}

/// The signed-in admin and the domain `name`, if they may manage it. Names the domain in the log span.
pub async fn managed_domain(state: &AppState, name: &str) -> Result<(Actor, domain::Model), AppError> {
    let actor = actor(state).await?;
    let found = domain::Entity::find().filter(domain::Column::Name.eq(name)).one(&state.db).await?;
    let domain = actor.require_domain(name, found)?;
    tracing::Span::current().record("domain", domain.name.as_str());
    Ok((actor, domain))
}

/// The client's address: the first hop of `X-Forwarded-For` behind a proxy, else the socket's peer.
pub fn client_addr() -> Option<String> {
    if let Some(forwarded) = header_value(header::HeaderName::from_static("x-forwarded-for")) {
        return forwarded.split(',').next().map(|hop| hop.trim().to_string());
    }
    let parts = use_context::<Parts>()?;
    let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?;
    Some(info.0.ip().to_string())
}

pub fn user_agent() -> Option<String> {
    header_value(header::USER_AGENT)
}

/// Whether the browser reached us over https (directly, or through a proxy that says so).
pub fn is_https() -> bool {
    let by_proxy = header_value(header::HeaderName::from_static("x-forwarded-proto")).is_some_and(|p| p == "https");
    by_proxy || use_context::<Parts>().is_some_and(|parts| parts.uri.scheme_str() == Some("https"))
}

pub fn set_cookie(cookie: Cookie<'static>) -> Result<(), AppError> {
    let value = HeaderValue::from_str(&cookie.to_string()).map_err(AppError::internal)?;
    let response = use_context::<ResponseOptions>()
        .ok_or_else(|| AppError::internal("ResponseOptions is not in the server function's context"))?;
    response.append_header(header::SET_COOKIE, value);
    Ok(())
}
