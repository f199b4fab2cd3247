//! The Switchboard server: the axum router around the Leptos app, the layers every request passes
//! through, and the command line.

mod assets;
pub mod cli;
mod client;
mod downloads;
mod events;
mod guard;
mod headers;
mod panics;
mod session;

use app::error::AppError;
use app::server::AppState;
use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Response};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use std::sync::OnceLock;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use downloads::RESULTS_CSV_ROUTE;
pub use events::{JOB_EVENTS_ROUTE, RUNNING_JOBS_ROUTE};

/// Server function errors are small JSON documents; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The app's routes, listed once per process: listing them renders the app, and a listing that
/// overlaps pages being served was seen to leave some of those pages hanging (in tests that build
/// routers while others serve; 4 runs in 60 before, none in 80 after).
static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();

/// The app's pages, as the router serves them (for tests that must cover every one).
pub fn page_routes() -> Vec<String> {
    ROUTES.get_or_init(|| generate_route_list(App)).iter().map(|route| route.path().to_string()).collect()
}

/// The whole HTTP surface: pages, server functions and progress streams under `/api`, the CSV download,
/// the browser bundle under `/pkg` and the other static site files. Every request passes, from the
/// outside in: the log line, compression, the panic guard, the security headers, the client's
/// identity, the guard against cross-site and oversized requests, and (for pages, server functions,
/// streams and downloads) the session.
pub fn router(state: AppState) -> Router {
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let options = state.leptos_options.clone();
    Router::new()
        .route(RESULTS_CSV_ROUTE, get(downloads::results_csv))
        .route(JOB_EVENTS_ROUTE, get(events::job_events))
        .route(RUNNING_JOBS_ROUTE, get(events::running_jobs))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        // On the app's pages, server functions and downloads; static files and the 404 page need no session.
        .route_layer(middleware::from_fn_with_state(state.clone(), session::session))
        .merge(assets::bundle(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(error_status))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(middleware::from_fn_with_state(state.clone(), client::client))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
        .layer(middleware::from_fn(panics::answer_500))
        .layer(compression())
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

/// Pages and server function answers compressed for browsers that accept it (a Users page is ~47 KB of
/// HTML, ~8 KB as brotli). Quality 4: a few milliseconds of CPU for a page, far less than the bytes
/// save on a phone's link. The bundle is compressed once, at build time (`assets`), and event
/// streams not at all (each event must leave at once).
fn compression() -> CompressionLayer {
    CompressionLayer::new().quality(CompressionLevel::Precise(4))
}

/// An `AppError` as the answer to a request, the way server functions answer: its status, and the
/// error as JSON, which the browser's server function client shows as the error's message.
fn refuse(error: AppError) -> Response<Body> {
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut response = (error.status(), body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(SERVER_FN_ERROR_HEADER, HeaderValue::from_static("true"));
    response
}

/// Leptos answers every failed server function with 500; this gives each `AppError` its own status
/// (401, 403, 404, 409, 422, 429 …), mapped once in `AppError::status`.
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
        if let AppError::TooManyAttempts { minutes } = error {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(minutes * 60));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
