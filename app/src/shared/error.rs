//! The one error type of every server function. Its `Display` is the message the user sees; the
//! server maps each variant to an HTTP status once (`status`), and internal causes are logged on the
//! server, never sent to the browser.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    /// No valid session: the user must sign in (again).
    #[error("Please sign in to continue.")]
    NotSignedIn,
    /// Deliberately the same for an unknown login and a wrong password.
    #[error("Invalid login or password")]
    InvalidCredentials,
    /// Too many failed sign-ins: the login or the client's address is locked for a while.
    #[error("Too many failed sign-ins. Try again in {}.", crate::shared::words::count_of(*minutes, "minute", "minutes"))]
    TooManyAttempts { minutes: u64 },
    /// More requests of this kind are waiting than the server takes on (a burst of sign-ins, or of
    /// progress streams from one session): refused at once rather than queued.
    #[error("The server is busy. Try again in a moment.")]
    Busy,
    /// One session has as many progress streams open as it may (a page's banner and dialog, in a few
    /// tabs): refused rather than holding one more connection.
    #[error("This browser has too many progress windows open. Close some and try again.")]
    TooManyStreams,
    /// Signed in, but the request reaches outside the user's scope.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Input is wrong: one message per problem, each naming its field so that the form shows it there.
    #[error("{}", .0.iter().map(|problem| problem.message.as_str()).collect::<Vec<_>>().join(" "))]
    Invalid(Vec<FieldError>),
    /// The user must choose a new password (an admin forced a reset) before anything else.
    #[error("You must choose a new password before you go on.")]
    PasswordChangeRequired,
    /// What the request refers to existed but can no longer be used (a used or expired link).
    #[error("{0}")]
    Gone(String),
    /// The request clashes with existing data (a duplicate extension, say).
    #[error("{0}")]
    Conflict(String),
    /// A request that would change something came from another site's page, and was refused.
    #[error("This request came from another site and was refused. Open the portal itself and try again.")]
    CrossSite,
    /// The request's body is not of the type its address takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request's body is larger than any request of the portal needs.
    #[error("The request is too large.")]
    TooLarge,
    /// The request's body did not arrive in the time the portal gives it.
    #[error("The request took too long to arrive. Check your connection and try again.")]
    TooSlow,
    /// The database cannot take changes until the operator makes room (a full disk, a read-only file).
    #[error("Nothing was changed: the portal cannot save changes just now, as its database has no room or is read-only. Try again later, and tell your administrator.")]
    CannotSave,
    /// Something failed on the server; the details are in the server's log.
    #[error("Something went wrong on the server. Please try again; if it keeps happening, tell your administrator.")]
    Internal,
    /// The request did not reach the server function, or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

/// A message at a field: the one shape of every validation problem, from the browser's own checks and
/// from the server. `field` is the input's `name` (a request's parameter name outside forms).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_string(), message: message.into() }
    }

    /// Each of `messages` at `field`.
    pub fn each(field: &str, messages: Vec<String>) -> impl Iterator<Item = FieldError> + '_ {
        messages.into_iter().map(move |message| FieldError::new(field, message))
    }
}

impl AppError {
    /// One field is wrong.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// `Ok` when there are no problems, otherwise every one of them, each at its field.
    pub fn unless_any(problems: Vec<FieldError>) -> Result<(), AppError> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(problems))
        }
    }

    /// The problems at fields this error carries (none for other errors).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            AppError::Invalid(problems) => problems,
            _ => &[],
        }
    }

    /// Whether the error is about `field`.
    pub fn is_at(&self, field: &str) -> bool {
        self.field_errors().iter().any(|problem| problem.field == field)
    }

    /// Logs an unexpected server-side failure with its cause and turns it into `Internal`.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        // Debug-quoted: a cause may hold text from a request, and a line break in it must not start a
        // line of its own in the log.
        tracing::error!(cause = ?cause.to_string(), "internal error");
        AppError::Internal
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        use crate::server::db::unwritable::Unwritable;
        match Unwritable::of(&err) {
            Some(Unwritable::Busy) => AppError::Busy,
            Some(Unwritable::NoRoom) => {
                tracing::error!(%err, "the database cannot take changes");
                AppError::CannotSave
            }
            None => AppError::internal(err),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(err: sea_orm::TransactionError<AppError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}
