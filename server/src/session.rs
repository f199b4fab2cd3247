//! Resolves the request's session once, names the user in the log span, and hands the result to the
//! pages and server functions (`request::Identity`). Page loads that need a session and have none are
//! sent to the login page here, as plain HTTP redirects, before any rendering; the signed-in are sent
//! on from the login page to their start page. What it serves is personal: no cache keeps it.

use app::server::auth::authz::Actor;
use app::server::auth::request::{self, Identity};
use app::server::AppState;
use app::shared::routes::{self, CHANGE_PASSWORD, LOGIN, SET_PASSWORD};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;

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
        Some(to) if !path.starts_with(routes::API) => found(to),
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
        None if path == LOGIN || path == SET_PASSWORD => None,
        None => Some(LOGIN),
        // (An emailed link serves them as well as the page does.)
        Some(actor) if actor.must_change_password => {
            (path != CHANGE_PASSWORD && path != SET_PASSWORD).then_some(CHANGE_PASSWORD)
        }
        Some(_) if path == LOGIN || path == CHANGE_PASSWORD => Some(routes::HOME),
        Some(_) => None,
    }
}

/// A 302, as Leptos' own redirects are.
fn found(location: &'static str) -> Response<Body> {
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}
