//! Email as the browser and the server both see it: the kinds of message, where each stands in the
//! outbox, and the Outbox page's rows.

#[cfg(feature = "ssr")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};

/// What a message is for; also what its set-password link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))"))]
pub enum MessageKind {
    /// To the new holder of an extension: set a password and a voicemail PIN.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "welcome"))]
    Welcome,
    /// After an admin forced a password reset: choose a new password.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "password-reset"))]
    PasswordReset,
}

impl MessageKind {
    pub fn subject(self) -> &'static str {
        match self {
            MessageKind::Welcome => "Welcome to Switchboard: set your password",
            MessageKind::PasswordReset => "Switchboard: choose a new password",
        }
    }
}

/// Where a message stands: waiting (to be sent, or to be tried again), sent, given up on, or withdrawn
/// because the extension was reset (it was for someone who no longer holds it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))"))]
pub enum MessageState {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "queued"))]
    Queued,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "sent"))]
    Sent,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "failed"))]
    Failed,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "withdrawn"))]
    Withdrawn,
}

impl MessageState {
    pub fn label(self) -> &'static str {
        match self {
            MessageState::Queued => "Queued",
            MessageState::Sent => "Sent",
            MessageState::Failed => "Failed",
            MessageState::Withdrawn => "Withdrawn",
        }
    }
}

/// One message on the Outbox page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub id: i32,
    pub domain: String,
    pub recipient: String,
    /// The extension the message is about, while its user exists.
    pub extension: Option<String>,
    pub subject: String,
    pub state: MessageState,
    pub attempts: i32,
    /// Why the last attempt failed (for a queued message: why it waits to be tried again; for a
    /// withdrawn one: why it was withdrawn).
    pub last_error: Option<String>,
    /// When it was queued and sent, as "2026-11-27 14:05 UTC".
    pub queued: String,
    pub sent: Option<String>,
    /// For a queued message that failed before: when it is tried again.
    pub next_attempt: Option<String>,
    pub requester: Option<String>,
}
