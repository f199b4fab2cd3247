//! The Switchboard server: the axum router around the Leptos app, and the command line.

pub mod cli;

use app::accounts::{CHANGE_PASSWORD_PATH, SET_PASSWORD_PATH};
use app::error::AppError;
use app::server::authz::Actor;
use app::server::jobs;
use app::server::request::{self, Identity};
use app::server::AppState;
use app::{shell, App};
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use axum::http::{Method, Response, StatusCode};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

const LOGIN_PAGE: &str = "/login";

/// Server function errors are small JSON documents; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The app's routes, listed once per process: listing them renders the app, and a listing that
/// overlaps pages being served was seen to leave some of those pages hanging (in tests that build
/// routers while others serve; 4 runs in 60 before, none in 80 after).
static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();

/// The whole HTTP surface: pages, server functions under `/api`, and the static site files.
pub fn router(state: AppState) -> Router {
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route("/activity/{job}/results.csv", get(results_csv))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        // On the app's pages and server functions; static files and the 404 page need no session.
        .route_layer(middleware::from_fn_with_state(state.clone(), session))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(error_status))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    // `user` and `domain` are filled in once the request's session and domain are known.
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        user = tracing::field::Empty,
                        domain = tracing::field::Empty,
                    )
                })
                // One line per request at the default level: status and latency, in the span above.
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Resolves the request's session once, names the user in the log span, and hands the result to the
/// pages and server functions (`request::Identity`). Page loads that need a session and have none are
/// sent to the login page here, as plain HTTP redirects, before any rendering; the signed-in are sent
/// on from the login page to their start page.
async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response<Body> {
    let actor = match request::identify(&state.db, request.headers()).await {
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
    if request.method() == Method::GET && !path.starts_with("/api/") {
        if let Some(to) = page_redirect(actor.as_ref(), path) {
            return found(to);
        }
    }
    request.extensions_mut().insert(Identity(actor));
    next.run(request).await
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

/// A bulk job's per-user results, as a CSV download (a plain route: a server function cannot answer
/// with a file).
async fn results_csv(
    State(state): State<AppState>,
    Extension(Identity(actor)): Extension<Identity>,
    Path(job): Path<i32>,
) -> Response<Body> {
    let result = match actor {
        Some(actor) => jobs::results_csv(&state.db, &actor, job).await,
        None => Err(AppError::NotSignedIn),
    };
    match result {
        Ok((file_name, csv)) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(err) => (err.status(), err.to_string()).into_response(),
    }
}

/// A 302, as Leptos' own redirects are.
fn found(location: &'static str) -> Response<Body> {
    (StatusCode::FOUND, [(LOCATION, location)]).into_response()
}

/// Leptos answers every failed server function with 500; this gives each `AppError` its own status
/// (401, 403, 404, 409, 422 …), mapped once in `AppError::status`.
async fn error_status(request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}
