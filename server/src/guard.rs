//! What the portal refuses before anything reads a request:
//! - a body larger than any request of ours needs (413), or one that takes too long to arrive (408:
//!   a client sending a byte now and then must not hold a connection and a task for ever);
//! - a request that would change something (anything but GET and HEAD) sent by another site's page:
//!   its `Origin` (or, without one, `Sec-Fetch-Site`) must be the portal's own (403). Browsers always
//!   send one of them; a request with neither (curl, scripts) comes from no page, and is let through;
//! - a server function body of the wrong type (415): the sign-in and sign-out forms take a plain HTML
//!   form, every other server function JSON only. (A cross-site page can send a form or text without
//!   asking the browser's permission, but not JSON.)

use app::server::auth::client::Client;
use app::server::AppState;
use app::shared::error::AppError;
use app::shared::routes;
use app::ui::signed_in::form_paths;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, Response};
use axum::middleware::Next;
use axum::response::IntoResponse;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// The largest body the portal takes: a Recycle Users form of a few thousand rows fits well.
pub const MAX_BODY: usize = 1024 * 1024;

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response<Body> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let client = request.extensions().get::<Client>().copied();
        let own = own_origin(&state, request.headers(), client.is_some_and(|client| client.https));
        if from_another_site(request.headers(), own.as_deref()) {
            let origin = request
                .headers()
                .get(header::ORIGIN)
                .map(|origin| String::from_utf8_lossy(origin.as_bytes()).chars().take(100).collect::<String>());
            tracing::warn!(?origin, "cross-site request refused");
            return crate::scim::refusal(request.uri().path(), AppError::CrossSite);
        }
    }
    if request.method() == Method::POST && request.uri().path().starts_with(routes::API) {
        if let Err(error) = body_type(&request) {
            return error.into_response();
        }
    }
    let path = request.uri().path().to_string();
    match within_limit(request, state.settings.connections.body_read).await {
        Ok(request) => next.run(request).await,
        Err(error) => crate::scim::refusal(&path, error),
    }
}

/// The portal's own origin: `PUBLIC_URL`'s, or else the one the request was sent to.
fn own_origin(state: &AppState, headers: &HeaderMap, https: bool) -> Option<String> {
    if let Some(url) = &state.settings.public_url {
        return Some(url.origin().to_string());
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    Some(format!("{}://{host}", if https { "https" } else { "http" }))
}

fn from_another_site(headers: &HeaderMap, own: Option<&str>) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        // "null" (a sandboxed or privacy-sensitive context) is never ours.
        let origin = origin.to_str().unwrap_or("null");
        return !own.is_some_and(|own| own.eq_ignore_ascii_case(origin));
    }
    match headers.get("sec-fetch-site").and_then(|site| site.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => false,
    }
}

/// Whether a server function request's body is of the one type its function takes.
fn body_type(request: &Request) -> Result<(), AppError> {
    let wanted = if form_paths().contains(&request.uri().path()) { FORM } else { JSON };
    let given = request.headers().get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let mime = given.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case(wanted) {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType(format!("This request must be sent as {wanted}.")))
    }
}

/// The request with its body read, if the body is within `MAX_BODY` and arrives within `time`.
async fn within_limit(request: Request, time: std::time::Duration) -> Result<Request, AppError> {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|value| value.to_str().ok()?.parse().ok());
    if declared.is_some_and(|length: usize| length > MAX_BODY) {
        return Err(AppError::TooLarge);
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(time, Limited::new(body, MAX_BODY).collect()).await;
    let bytes = match read.map_err(|_| AppError::TooSlow)? {
        Ok(collected) => collected.to_bytes(),
        Err(err) if err.is::<LengthLimitError>() => return Err(AppError::TooLarge),
        Err(err) => return Err(AppError::Transport(format!("the request could not be read: {err}"))),
    };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs.iter().map(|(name, value)| (header::HeaderName::from_static(name), value.parse().unwrap())).collect()
    }

    const OWN: Option<&str> = Some("http://127.0.0.1:3000");

    #[test]
    fn only_our_own_origin_may_send_changes() {
        assert!(!from_another_site(&headers(&[("origin", "http://127.0.0.1:3000")]), OWN));
        for other in ["http://evil.example", "https://127.0.0.1:3000", "http://127.0.0.1:3001", "null"] {
            assert!(from_another_site(&headers(&[("origin", other)]), OWN), "{other}");
        }
        assert!(from_another_site(&headers(&[("origin", "http://127.0.0.1:3000")]), None));
    }

    #[test]
    fn without_origin_the_fetch_site_decides_and_without_either_it_is_no_browser() {
        for (site, refused) in [("same-origin", false), ("none", false), ("same-site", true), ("cross-site", true)] {
            assert_eq!(from_another_site(&headers(&[("sec-fetch-site", site)]), OWN), refused, "{site}");
        }
        assert!(!from_another_site(&headers(&[]), OWN));
    }
}
