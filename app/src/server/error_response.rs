//! An `AppError` as the answer to a request, the one way every route answers one: its status, the
//! error as JSON (which the browser's server function client turns back into the error, and which
//! tells any other client what is wrong), and, for a refusal that says when to come back, Retry-After.
//! The server's pages and server functions, its streams, downloads and guards all answer this way.

use crate::shared::error::AppError;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::HeaderValue;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// When a client refused as busy may come back: the queue it met drains within about a second.
const BUSY_RETRY_SECS: u64 = 2;

impl AppError {
    /// The HTTP status that answers this error: the one place errors are mapped to statuses.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::NotSignedIn | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::TooManyAttempts { .. } | AppError::Busy | AppError::TooManyStreams => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::CrossSite => StatusCode::FORBIDDEN,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooSlow => StatusCode::REQUEST_TIMEOUT,
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
            AppError::CannotSave => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// How many seconds the client should wait before trying again, for the refusals that end.
    pub(crate) fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { minutes } => Some(minutes * 60),
            AppError::Busy => Some(BUSY_RETRY_SECS),
            _ => None,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Our own error type always serializes.
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(SERVER_FN_ERROR_HEADER, HeaderValue::from_static("true"));
        if let Some(secs) = self.retry_after() {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
