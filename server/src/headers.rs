//! The security headers of every response: a Content-Security-Policy (pages set their own, with the
//! nonce of their hydration script, `app::server::csp`; everything else gets the strictest), no MIME
//! sniffing, no framing, no Referer beyond the portal (none at all from the Set Password page, whose
//! address holds a token), and, when the portal is served over https, HSTS.

use app::server::{csp, AppState};
use app::shared::routes;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Response};
use axum::middleware::Next;

/// A year: browsers go straight to https for that long after seeing it.
const HSTS: &str = "max-age=31536000";

pub async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response<Body> {
    let referrer = if request.uri().path() == routes::SET_PASSWORD { "no-referrer" } else { "same-origin" };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(csp::NOT_A_PAGE));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static(referrer));
    if state.settings.https() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
