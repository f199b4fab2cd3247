//! Resolves the request's session once, names the user in the log span, and hands the result to the
//! pages and server functions (`request::Identity`). Page loads that need a session and have none are
//! sent to the login page here, as plain HTTP redirects, before any rendering; the signed-in are sent
//! on from the login page to their start page. What it serves is personal: no cache keeps it.

use app::accounts::{CHANGE_PASSWORD_PATH, SET_PASSWORD_PATH};
use app::server::auth::authz::Actor;
use app::server::auth::request::{self, Identity};
use app::server::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;

const LOGIN_PAGE: &str = "/login";

pub async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response<Body> {
    let actor = match request::identify(&state, request.headers()).await {
        Ok(actor) => actor,
        Err(err) => {
            tracing::error!(%err, "cannot read the session");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    if let Some(actor) = &actor {
        tracing::Span::current().record("user", actor.login.as_str());
    }
    let path = request.uri().path();
    let mut response = match page_redirect(actor.as_ref(), path).filter(|_| request.method() == Method::GET) {
        Some(to) if !path.starts_with("/api/") => found(to),
        _ => {
            request.extensions_mut().insert(Identity(actor));
            next.run(request).await
        }
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Where a page load must go instead, if anywhere: visitors to the login page (only the login and
/// set-password pages are open to them), the signed-in on from the login page, and a user whose
/// password reset was forced to Change Password, which is only for them.
fn page_redirect(actor: Option<&Actor>, path: &str) -> Option<&'static str> {
    match actor {
        None if path == LOGIN_PAGE || path == SET_PASSWORD_PATH => None,
        None => Some(LOGIN_PAGE),
        // (An emailed link serves them as well as the page does.)
        Some(actor) if actor.must_change_password => {
            (path != CHANGE_PASSWORD_PATH && path != SET_PASSWORD_PATH).then_some(CHANGE_PASSWORD_PATH)
        }
        Some(_) if path == LOGIN_PAGE || path == CHANGE_PASSWORD_PATH => Some("/"),
        Some(_) => None,
    }
}

/// A 302, as Leptos' own redirects are.
fn found(location: &'static str) -> Response<Body> {
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}
