//! Live progress as server-sent events (`app::server::bulk::live` makes the streams): a job's progress for
//! the progress step, and a domain's unfinished jobs for the Users page's banner. The browser's
//! `EventSource` reconnects by itself after a dropped connection, sending the id of the last event it
//! had; a refusal (signed out, no such job, another domain) ends it for good.

use app::server::auth::request::Identity;
use app::server::bulk::live::{self, Viewer};
use app::server::AppState;
use app::shared::bulk::{JobEvent, JobProgress};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::StreamExt;
use serde::Serialize;
use std::convert::Infallible;

pub async fn job_events(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(job): Path<i32>,
    headers: HeaderMap,
) -> Response {
    // The browser sends back the id of the last failure it was sent; anything else starts afresh.
    let after = headers.get("last-event-id").and_then(|value| value.to_str().ok()?.parse().ok());
    let stream = async { live::job_events(&state.live, Viewer::of(&state, &headers, identity)?, job, after).await };
    match stream.await {
        Ok(events) => sse(events.map(|(id, event): (Option<i32>, JobEvent)| {
            let event = data(&event);
            match id {
                Some(id) => event.id(id.to_string()),
                None => event,
            }
        })),
        Err(err) => err.into_response(),
    }
}

pub async fn running_jobs(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(domain): Path<String>,
    headers: HeaderMap,
) -> Response {
    let stream = async { live::running(&state.live, Viewer::of(&state, &headers, identity)?, &domain).await };
    match stream.await {
        Ok(events) => sse(events.map(|jobs: Vec<JobProgress>| data(&jobs))),
        Err(err) => err.into_response(),
    }
}

fn data(value: &impl Serialize) -> Event {
    // Our own types always serialize; an empty event is dropped by the browser's decoder.
    Event::default().json_data(value).unwrap_or_default()
}

fn sse(events: impl futures::Stream<Item = Event> + Send + 'static) -> Response {
    // Comments every 15 s keep proxies from closing a quiet stream.
    Sse::new(events.map(Ok::<_, Infallible>)).keep_alive(KeepAlive::default()).into_response()
}
