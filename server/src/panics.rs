//! A panic while serving one request must not take its connection down with it: the request is
//! answered 500, and the panic is in the log (the panic hook prints it with its location; this adds
//! the request). A page's body is read here in full, under the same guard, because the end of a
//! rendered page's stream is where its reactive owner is cleaned up, after the headers have gone out.
//!
//! Each request is served in a task of its own, which runs to its end even when the client leaves
//! (a closed tab, a click elsewhere, a dropped phone connection). A page's render cut short used to
//! stay behind for good: each of its resources left a future in the render's shared context that holds
//! the resource, and the resource holds that context, a cycle only the page stream's end breaks. About
//! half the Users pages left while loading kept their resources' tasks (and the render's graph) alive,
//! and their views, still woken by those tasks, read signals already gone (a panic in the log). A
//! soak whose clients left 50 pages a minute grew by about 1 MB a minute.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use http_body_util::BodyExt;
use tracing::Instrument;

const MESSAGE: &str =
    "Something went wrong on the server. Please try again; if it keeps happening, tell your administrator.";

pub async fn answer_500(request: Request, next: Next) -> Response<Body> {
    let path = request.uri().path().to_string();
    match tokio::spawn(serve(request, next).in_current_span()).await {
        Ok(Some(response)) => response,
        Ok(None) => {
            tracing::error!(%path, "a page's body could not be produced");
            failed(&path)
        }
        Err(_) => failed(&path),
    }
}

/// The answer, a page's body read in full (`None` if it could not be).
async fn serve(request: Request, next: Next) -> Option<Response<Body>> {
    let response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_page {
        return Some(response);
    }
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.ok()?;
    Some(Response::from_parts(parts, Body::from(collected.to_bytes())))
}

fn failed(path: &str) -> Response<Body> {
    tracing::error!(%path, "a panic while serving this request; answered 500");
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (StatusCode::INTERNAL_SERVER_ERROR, headers, MESSAGE).into_response()
}
