//! The bulk actions about signing in (Send Welcome Email and Force Password Reset) and a user's first
//! sign-in, as the browser and the server both see them.

use crate::shared::bulk::{JobAction, PreviewUser, SkippedUser, Targets};
use crate::shared::error::FieldError;
use crate::shared::validate::{confirmation_problems, password_problems, pin_problems};
use crate::shared::words::count_of;
use serde::{Deserialize, Serialize};

/// A bulk action that gives users a way (back) in, rather than clearing their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountAction {
    SendWelcome,
    /// With `revoke`, the current password stops working at once (`JobAction::ForcePasswordReset`).
    ForcePasswordReset {
        revoke: bool,
    },
}

impl AccountAction {
    pub fn job(self) -> JobAction {
        match self {
            AccountAction::SendWelcome => JobAction::SendWelcome,
            AccountAction::ForcePasswordReset { revoke } => JobAction::ForcePasswordReset { revoke },
        }
    }

    /// The button's text and the confirmation step's title.
    pub fn title(self) -> &'static str {
        self.job().title()
    }
}

/// Why revoking the current password leaves a user out: with no address for the link, they would have no
/// way back in.
pub const NO_WAY_BACK: &str =
    "No email address: without their password they would have no way back in. Tell them yourself.";

/// Who an account action would reach, and who it skips, before the admin confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPreview {
    pub action: AccountAction,
    pub users: Vec<PreviewUser>,
    pub skipped: Vec<SkippedUser>,
}

impl AccountPreview {
    /// What confirming does, in one or two sentences with exact figures.
    pub fn summary(&self) -> String {
        let users = count_of(self.users.len() as u64, "user", "users");
        match self.action {
            AccountAction::SendWelcome => {
                format!("A welcome email with a link to set a password will be sent to {users}.")
            }
            AccountAction::ForcePasswordReset { revoke: true } => {
                let verb = if self.users.len() == 1 { "is" } else { "are" };
                format!(
                    "{users} {verb} signed out everywhere now, and the current password stops working at once. \
                     A link to choose a new one goes to each by email."
                )
            }
            AccountAction::ForcePasswordReset { revoke: false } => {
                let (all, emailed) = (self.users.len(), self.users.iter().filter(|user| user.email.is_some()).count());
                let verb = if all == 1 { "is" } else { "are" };
                let links = match emailed {
                    0 => "None has an email address for a link.".to_string(),
                    n if n == all && all == 1 => "They get a link to choose it by email.".to_string(),
                    n if n == all => "All of them get a link to choose it by email.".to_string(),
                    n => format!("{n} of them get a link to choose it by email."),
                };
                format!(
                    "{users} must choose a new password at next sign-in and {verb} signed out everywhere now. {links}"
                )
            }
        }
    }

    /// The users the action reaches who have no email address (they must be told another way).
    pub fn without_email(&self) -> impl Iterator<Item = &PreviewUser> {
        self.users.iter().filter(|user| user.email.is_none())
    }

    /// This Force Password Reset (made keeping the password) as it is with `revoke` chosen: the same
    /// users, but revoking leaves out those without an email address (`NO_WAY_BACK`). The browser shows
    /// the choice at once with it; the server applies the same rule when the job starts.
    pub fn choosing(&self, revoke: bool) -> AccountPreview {
        if !revoke {
            return self.clone();
        }
        let (users, left_out): (Vec<PreviewUser>, Vec<PreviewUser>) =
            self.users.iter().cloned().partition(|user| user.email.is_some());
        let mut skipped = self.skipped.clone();
        skipped.extend(left_out.into_iter().map(|user| SkippedUser { user, reason: NO_WAY_BACK.into() }));
        AccountPreview { action: AccountAction::ForcePasswordReset { revoke: true }, users, skipped }
    }
}

/// What the browser sends for an account action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRequest {
    pub action: AccountAction,
    pub targets: Targets,
}

/// Whom a set-password link is for, as its page greets them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHolder {
    pub login: String,
    pub extension: String,
    pub name: String,
    pub domain: String,
    /// Whether the user already has a voicemail PIN (then the PIN field may be left blank to keep it).
    pub has_pin: bool,
}

/// Whether a password form asks for a voicemail PIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinRule {
    /// Not part of the form (Change Password).
    NotAsked,
    /// The user has no PIN yet.
    Required,
    /// The user has one; a blank field keeps it.
    Optional,
}

impl PinRule {
    /// For the Set Password form of a user who has a PIN already, or not.
    pub fn for_holder(has_pin: bool) -> Self {
        if has_pin {
            PinRule::Optional
        } else {
            PinRule::Required
        }
    }
}

/// The Set Password and Change Password forms' fields. `pin` is blank on Change Password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub password: String,
    pub confirmation: String,
    pub pin: String,
}

/// The forms' field names, as the server's messages name them.
pub const PASSWORD_FIELD: &str = "password";
pub const CONFIRMATION_FIELD: &str = "confirmation";
pub const PIN_FIELD: &str = "pin";

impl NewPassword {
    /// Every broken rule of the form for the user `login` at `extension`, each at its field: the rules
    /// the browser checks before sending and the server checks again (it adds the common passwords).
    pub fn problems(&self, login: &str, extension: &str, pin: PinRule) -> Vec<FieldError> {
        let pin = match pin {
            PinRule::Required => pin_problems(&self.pin, extension),
            PinRule::Optional if !self.pin.is_empty() => pin_problems(&self.pin, extension),
            PinRule::Optional | PinRule::NotAsked => Vec::new(),
        };
        [
            (PASSWORD_FIELD, password_problems(&self.password, login, extension)),
            (CONFIRMATION_FIELD, confirmation_problems(&self.password, &self.confirmation)),
            (PIN_FIELD, pin),
        ]
        .into_iter()
        .flat_map(|(field, messages)| FieldError::each(field, messages))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: i32, email: Option<&str>) -> PreviewUser {
        PreviewUser { user_id: n, extension: format!("20{n}"), name: "Ann Lee".into(), email: email.map(Into::into) }
    }

    #[test]
    fn a_forced_reset_says_how_many_get_a_link() {
        let preview = AccountPreview {
            action: AccountAction::ForcePasswordReset { revoke: false },
            users: vec![user(1, Some("a@x.example")), user(2, None), user(3, Some("c@x.example"))],
            skipped: Vec::new(),
        };
        assert_eq!(
            preview.summary(),
            "3 users must choose a new password at next sign-in and are signed out everywhere now. \
             2 of them get a link to choose it by email."
        );
        assert_eq!(preview.without_email().map(|user| user.user_id).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn revoking_leaves_out_whoever_has_no_email_and_says_why() {
        let kept = AccountPreview {
            action: AccountAction::ForcePasswordReset { revoke: false },
            users: vec![user(1, Some("a@x.example")), user(2, None)],
            skipped: Vec::new(),
        };
        assert_eq!(kept.choosing(false), kept);
        let revoked = kept.choosing(true);
        assert_eq!(revoked.action, AccountAction::ForcePasswordReset { revoke: true });
        assert_eq!(revoked.users, [user(1, Some("a@x.example"))]);
        assert_eq!(revoked.skipped, [SkippedUser { user: user(2, None), reason: NO_WAY_BACK.into() }]);
    }

    #[test]
    fn a_revoking_reset_says_the_password_stops_working() {
        let preview = AccountPreview {
            action: AccountAction::ForcePasswordReset { revoke: true },
            users: vec![user(1, Some("a@x.example"))],
            skipped: Vec::new(),
        };
        assert_eq!(
            preview.summary(),
            "1 user is signed out everywhere now, and the current password stops working at once. \
             A link to choose a new one goes to each by email."
        );
    }

    #[test]
    fn a_welcome_names_its_figure() {
        let preview = AccountPreview {
            action: AccountAction::SendWelcome,
            users: vec![user(1, Some("a@x.example"))],
            skipped: vec![],
        };
        assert_eq!(preview.summary(), "A welcome email with a link to set a password will be sent to 1 user.");
    }
}
