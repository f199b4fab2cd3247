//! The Recycle Users form: the extensions it is for, its rows, the messages at their fields, and the
//! answer to a save.

use super::job::{ItemState, JobStatus};
use crate::shared::error::{AppError, FieldError};
use serde::{Deserialize, Serialize};

/// One row of the Recycle Users form: the reset extension's new holder.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleEntry {
    pub user_id: i32,
    pub first_name: String,
    pub last_name: String,
    /// Optional; blank for none.
    pub email: String,
    /// Queue a welcome email with a set-password link (needs an email address).
    pub send_welcome: bool,
}

/// The extensions the Recycle Users form is for: those a reset job just reset, or reset users the
/// admin ticked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleTargets {
    /// (user id, extension), in extension order.
    pub users: Vec<(i32, String)>,
    /// Whether the domain uses portal security or voicemail to email, where an email address matters.
    pub email_recommended: bool,
}

impl From<&JobStatus> for RecycleTargets {
    /// The users the job reset.
    fn from(status: &JobStatus) -> Self {
        let users = status
            .items
            .iter()
            .filter(|item| item.state == ItemState::Done)
            .filter_map(|item| Some((item.user_id?, item.extension.clone())))
            .collect();
        RecycleTargets { users, email_recommended: status.email_recommended }
    }
}

/// A field of the Recycle Users form that a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecycleField {
    FirstName,
    LastName,
    Email,
    /// The row as a whole (the user cannot be recycled at all).
    Row,
}

impl RecycleField {
    /// The name its messages carry (`FieldError::field`).
    pub fn name(self) -> &'static str {
        match self {
            RecycleField::FirstName => "first_name",
            RecycleField::LastName => "last_name",
            RecycleField::Email => "email",
            RecycleField::Row => "row",
        }
    }
}

impl RecycleEntry {
    /// Nothing typed: the form leaves such a row for later rather than calling it invalid, so that an
    /// admin can give some of the reset extensions to new people now and the rest another day.
    pub fn is_blank(&self) -> bool {
        [&self.first_name, &self.last_name, &self.email].iter().all(|text| text.trim().is_empty())
    }

    /// Every problem of the row, each at its field; empty when it may be saved.
    pub fn problems(&self) -> Vec<FieldError> {
        use crate::shared::validate::{validate_email, validate_name};
        let email = RecycleField::Email.name();
        let checks = [
            validate_name(RecycleField::FirstName.name(), "First Name", &self.first_name),
            validate_name(RecycleField::LastName.name(), "Last Name", &self.last_name),
            match self.email.trim() {
                "" if self.send_welcome => {
                    Err(AppError::invalid(email, "Enter an email address to send the welcome email."))
                }
                "" => Ok(()),
                address => validate_email(address),
            },
        ];
        checks.into_iter().filter_map(Result::err).flat_map(|err| err.field_errors().to_vec()).collect()
    }
}

/// The answer to a Recycle Users save: the rows saved, and the problems of the rest (which were not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleOutcome {
    pub saved: Vec<i32>,
    pub rejected: Vec<(i32, Vec<FieldError>)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_rows_need_both_names_and_a_valid_email_if_any() {
        let good = RecycleEntry {
            user_id: 1,
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            email: String::new(),
            send_welcome: false,
        };
        assert!(good.problems().is_empty());
        let welcome_nowhere = RecycleEntry { send_welcome: true, ..good.clone() };
        assert_eq!(welcome_nowhere.problems()[0].message, "Enter an email address to send the welcome email.");
        let with_email = RecycleEntry { email: " ann@acme.example ".into(), ..good.clone() };
        assert!(with_email.problems().is_empty());

        let bad = RecycleEntry {
            user_id: 1,
            first_name: " ".into(),
            last_name: String::new(),
            email: "ann@".into(),
            send_welcome: true,
        };
        let fields: Vec<_> = bad.problems().into_iter().map(|problem| problem.field).collect();
        assert_eq!(fields, [RecycleField::FirstName.name(), RecycleField::LastName.name(), RecycleField::Email.name()]);
        assert_eq!(bad.problems()[0].message, "First Name is required.");
        assert!(!bad.is_blank());
        assert!(RecycleEntry { first_name: " ".into(), last_name: String::new(), email: "\t".into(), ..bad }.is_blank());
    }
}
