//! SCIM's error answers (RFC 7644 §3.12): a status, given as a string in the body, a `scimType` where the
//! RFC names one, and a sentence saying what is wrong. The portal's own errors (`AppError`) become one
//! here, once, so that a refusal reads the same whether it came from the SCIM code or the rules behind it.

use crate::shared::error::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// SCIM's media type, of every answer under `/scim`.
pub const MEDIA_TYPE: &str = "application/scim+json";

const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` of a 400 (or of a 409's `uniqueness`), as RFC 7644 Table 9 names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// A refused SCIM request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {detail}")]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
    /// Seconds to wait, for a 429.
    pub retry_after: Option<u64>,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError { status, scim_type, detail: detail.into(), retry_after: None }
    }

    /// A 400 of the given type.
    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            None,
            "A valid API token is required: send it as \"Authorization: Bearer <token>\".",
        )
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    }
}

impl From<AppError> for ScimError {
    fn from(error: AppError) -> Self {
        // SCIM answers bad values with 400 (the portal's forms with 422).
        let (status, scim_type) = match &error {
            AppError::Invalid(_) => (StatusCode::BAD_REQUEST, Some(ScimType::InvalidValue)),
            _ => (error.status(), None),
        };
        let detail = match &error {
            AppError::Invalid(problems) => {
                problems.iter().map(|problem| problem.message.as_str()).collect::<Vec<_>>().join(" ")
            }
            AppError::NotSignedIn | AppError::InvalidCredentials => return ScimError::unauthorized(),
            AppError::TooLarge => "The request body is larger than 1 MiB.".to_string(),
            other => other.to_string(),
        };
        ScimError { status, scim_type, detail, retry_after: error.retry_after() }
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::from(error).into()
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = scim_type.as_str().into();
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
