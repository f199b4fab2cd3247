//! The Switchboard server: the axum router around the Leptos app, the layers every request passes
//! through, and the command line.

mod assets;
pub mod cli;
mod client;
mod downloads;
mod events;
mod guard;
mod headers;
mod listen;
pub mod memory;
mod panics;
mod scim;
mod session;

use app::server::AppState;
use app::shared::error::AppError;
use app::shared::routes;
use app::{shell, App};
use axum::body::Body;
use axum::extract::Request;
use axum::http::Response;
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

/// The SCIM service's routes and their methods (for tests that must cover every one).
pub fn scim_routes() -> &'static [(&'static str, &'static [&'static str])] {
    &scim::ROUTES
}

/// The whole HTTP surface: pages, server functions and progress streams under `/api`, the CSV download,
/// the browser bundle under `/pkg` and the other static site files, inside the layers every request
/// passes (`around`).
pub fn router(state: AppState) -> Router {
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let options = state.leptos_options.clone();
    let app = Router::new()
        .route(routes::RESULTS_CSV, get(downloads::results_csv))
        .route(routes::JOB_EVENTS, get(events::job_events))
        .route(routes::RUNNING_JOBS, get(events::running_jobs))
        .leptos_routes_with_context(&state, routes, || (), move || shell(options.clone()))
        // On the app's pages, server functions and downloads; static files and the 404 page need no session.
        .route_layer(middleware::from_fn_with_state(state.clone(), session::session))
        .merge(scim::routes(&state))
        .merge(assets::bundle(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));
    around(app, state)
}

/// What every request passes, from the outside in: the log line, compression, the security headers,
/// the panic guard (inside the headers, so that a 500 for a panic carries them like any answer), the
/// client's identity, the guard against cross-site, oversized and slow requests, and the mapping of
/// server function errors to their statuses.
fn around(app: Router<AppState>, state: AppState) -> Router {
    app.layer(middleware::from_fn(error_status))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(middleware::from_fn_with_state(state.clone(), client::client))
        .layer(middleware::from_fn(panics::answer_500))
        .layer(middleware::from_fn_with_state(state.clone(), headers::security_headers))
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

/// Leptos answers every failed server function with 500; this gives each `AppError` its own status
/// (401, 403, 404, 409, 422, 429 …) and headers: its answer, `AppError::into_response`.
async fn error_status(request: Request, next: Next) -> Response<Body> {
    let response = next.run(request).await;
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(error) = serde_json::from_slice::<AppError>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    // The error's own answer, keeping what the server function set besides (cookies, say).
    let (answer, body) = error.into_response().into_parts();
    parts.status = answer.status;
    for (name, value) in &answer.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::server::settings::Settings;
    use axum::http::{header, StatusCode};
    use tower::ServiceExt;

    /// A handler that panics, inside the layers of the real router: its 500 is an answer like any other,
    /// with the same security headers, and nothing a cache may keep.
    #[tokio::test]
    async fn a_500_for_a_panic_carries_the_security_headers() {
        let db = sea_orm::Database::connect("sqlite::memory:").await.expect("an in-memory database");
        let leptos_options = leptos::config::LeptosOptions::builder().output_name("switchboard").build();
        let state = AppState::new(leptos_options, db, Settings::default());
        async fn boom() -> &'static str {
            panic!("a bug in a handler")
        }
        let app = Router::new().route("/boom", get(boom));
        let request = Request::get("/boom").body(Body::empty()).expect("a request");
        let response = around(app, state).oneshot(request).await.expect("an answer");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers();
        for (name, value) in [
            (header::CONTENT_SECURITY_POLICY, app::server::csp::NOT_A_PAGE),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::CACHE_CONTROL, "no-store"),
        ] {
            assert_eq!(headers.get(&name).and_then(|value| value.to_str().ok()), Some(value), "{name}");
        }
    }
}
