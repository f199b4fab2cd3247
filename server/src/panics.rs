//! A panic while serving one request must not take its connection down with it: the request is
//! answered 500, and the panic is in the log (the panic hook prints it with its location; this adds
//! the request). A page's body is read here in full, under the same guard, because the end of a
//! rendered page's stream is where its reactive owner is cleaned up, after the headers have gone out.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Response, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use futures::FutureExt;
use http_body_util::BodyExt;
use std::panic::AssertUnwindSafe;

const MESSAGE: &str =
    "Something went wrong on the server. Please try again; if it keeps happening, tell your administrator.";

pub async fn answer_500(request: Request, next: Next) -> Response<Body> {
    let path = request.uri().path().to_string();
    let Ok(response) = AssertUnwindSafe(next.run(request)).catch_unwind().await else {
        return failed(&path);
    };
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if !is_page {
        return response;
    }
    let (parts, body) = response.into_parts();
    match AssertUnwindSafe(body.collect()).catch_unwind().await {
        Ok(Ok(collected)) => Response::from_parts(parts, Body::from(collected.to_bytes())),
        Ok(Err(err)) => {
            tracing::error!(%path, %err, "a page's body could not be produced");
            failed(&path)
        }
        Err(_) => failed(&path),
    }
}

fn failed(path: &str) -> Response<Body> {
    tracing::error!(%path, "a panic while serving this request; answered 500");
    let headers = [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), (header::CACHE_CONTROL, "no-store")];
    (StatusCode::INTERNAL_SERVER_ERROR, headers, MESSAGE).into_response()
}
