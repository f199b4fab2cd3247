//! What a reset may clear: the options of the Reset Users step, the request that starts a reset, and
//! the confirmation's figures.

use super::targets::{SkippedUser, Targets};
use super::when::{Schedule, When};
use crate::shared::words::{count_of, join_and};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One kind of subscriber data a reset can clear. The first five are what a reset clears unless told
/// otherwise; the rest are kept unless ticked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetOption {
    Name,
    EmailAddress,
    Password,
    VoicemailPin,
    Devices,
    VoicemailMessages,
    VoicemailGreetings,
    AnsweringRules,
    Contacts,
    CallHistory,
    QueueMemberships,
}

impl ResetOption {
    pub const ALL: [ResetOption; 11] = [
        ResetOption::Name,
        ResetOption::EmailAddress,
        ResetOption::Password,
        ResetOption::VoicemailPin,
        ResetOption::Devices,
        ResetOption::VoicemailMessages,
        ResetOption::VoicemailGreetings,
        ResetOption::AnsweringRules,
        ResetOption::Contacts,
        ResetOption::CallHistory,
        ResetOption::QueueMemberships,
    ];

    /// The checkbox's text and accessible name.
    pub fn label(self) -> &'static str {
        match self {
            ResetOption::Name => "Name",
            ResetOption::EmailAddress => "Email Address",
            ResetOption::Password => "Password",
            ResetOption::VoicemailPin => "Voicemail PIN",
            ResetOption::Devices => "Additional Phones/Devices",
            ResetOption::VoicemailMessages => "Voicemail Messages",
            ResetOption::VoicemailGreetings => "Voicemail Greetings",
            ResetOption::AnsweringRules => "Answering Rules",
            ResetOption::Contacts => "Contacts",
            ResetOption::CallHistory => "Call History",
            ResetOption::QueueMemberships => "Call Queue Memberships",
        }
    }

    /// A line of help under the checkbox, where the label alone could leave a doubt.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            ResetOption::VoicemailMessages => Some("New, Saved and Trash"),
            ResetOption::QueueMemberships => Some("The queues themselves stay"),
            _ => None,
        }
    }

    /// What the former holder leaves in the extension that is theirs alone and would reach the next
    /// holder if kept: ticked as soon as Recycle Users is.
    pub const PERSONAL: [ResetOption; 4] = [
        ResetOption::VoicemailMessages,
        ResetOption::VoicemailGreetings,
        ResetOption::Contacts,
        ResetOption::CallHistory,
    ];

    pub fn on_by_default(self) -> bool {
        matches!(
            self,
            ResetOption::Name
                | ResetOption::EmailAddress
                | ResetOption::Password
                | ResetOption::VoicemailPin
                | ResetOption::Devices
        )
    }

    /// Whether the option blanks fields of the user itself rather than deleting rows of their own.
    pub fn is_user_field(self) -> bool {
        matches!(
            self,
            ResetOption::Name | ResetOption::EmailAddress | ResetOption::Password | ResetOption::VoicemailPin
        )
    }

    /// For the kinds of data that are rows of their own, how to count them ("1 device", "2 devices");
    /// `None` for the fields of the user that a reset blanks.
    pub fn rows_noun(self) -> Option<(&'static str, &'static str)> {
        match self {
            ResetOption::Devices => Some(("device", "devices")),
            ResetOption::VoicemailMessages => Some(("voicemail message", "voicemail messages")),
            ResetOption::VoicemailGreetings => Some(("voicemail greeting", "voicemail greetings")),
            ResetOption::AnsweringRules => Some(("answering rule", "answering rules")),
            ResetOption::Contacts => Some(("contact", "contacts")),
            ResetOption::CallHistory => Some(("call history entry", "call history entries")),
            ResetOption::QueueMemberships => Some(("call queue membership", "call queue memberships")),
            _ => None,
        }
    }
}

/// The ticked options of the Reset Users step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResetOptions(BTreeSet<ResetOption>);

impl ResetOptions {
    /// What the Reset Users step starts with.
    pub fn defaults() -> Self {
        ResetOptions(ResetOption::ALL.into_iter().filter(|option| option.on_by_default()).collect())
    }

    pub fn all() -> Self {
        ResetOptions(ResetOption::ALL.into_iter().collect())
    }

    pub fn contains(&self, option: ResetOption) -> bool {
        self.0.contains(&option)
    }

    pub fn set(&mut self, option: ResetOption, ticked: bool) {
        if ticked {
            self.0.insert(option);
        } else {
            self.0.remove(&option);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn is_all(&self) -> bool {
        self.0.len() == ResetOption::ALL.len()
    }

    /// Ticks what a new holder must not inherit from the former one (`ResetOption::PERSONAL`).
    pub fn for_a_new_holder(&mut self) {
        self.0.extend(ResetOption::PERSONAL);
    }

    /// "Select All Options": ticks every option, or, when every option is already ticked, none.
    pub fn toggle_all(&mut self) {
        *self = if self.is_all() { ResetOptions::default() } else { ResetOptions::all() };
    }

    pub fn iter(&self) -> impl Iterator<Item = ResetOption> + '_ {
        self.0.iter().copied()
    }

    /// The labels, in the order of the form: "Name, Email Address and Password".
    pub fn describe(&self) -> String {
        join_and(self.iter().map(|option| option.label().to_string()).collect())
    }
}

impl FromIterator<ResetOption> for ResetOptions {
    fn from_iter<I: IntoIterator<Item = ResetOption>>(options: I) -> Self {
        ResetOptions(options.into_iter().collect())
    }
}

/// What a reset would delete, counted in the database, for the confirmation step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPreview {
    pub users: u64,
    pub options: ResetOptions,
    /// Rows each ticked kind of data has, over all the users.
    pub rows: Vec<(ResetOption, u64)>,
    /// Users a filter matched whom the reset leaves out, each with why.
    pub excluded: Vec<SkippedUser>,
    /// When it will be done, if it is scheduled.
    pub schedule: Option<Schedule>,
}

impl ResetPreview {
    /// "12 devices, 87 voicemail messages and 4 answering rules will be deleted for 5 users."
    pub fn deletions(&self) -> Option<String> {
        let parts: Vec<String> = self
            .rows
            .iter()
            .filter_map(|&(option, n)| option.rows_noun().map(|(one, many)| count_of(n, one, many)))
            .collect();
        (!parts.is_empty())
            .then(|| format!("{} will be deleted for {}.", join_and(parts), count_of(self.users, "user", "users")))
    }

    /// "Name, Email Address and Password will be cleared for 5 users."
    pub fn clearings(&self) -> Option<String> {
        let fields: Vec<String> = self
            .options
            .iter()
            .filter(|option| option.is_user_field())
            .map(|option| option.label().to_string())
            .collect();
        (!fields.is_empty())
            .then(|| format!("{} will be cleared for {}.", join_and(fields), count_of(self.users, "user", "users")))
    }
}

/// What the browser sends to start a reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub targets: Targets,
    pub options: ResetOptions,
    pub recycle: bool,
    #[serde(default)]
    pub when: When,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::bulk::JobAction;
    #[test]
    fn defaults_are_the_five_fields_and_phones() {
        let defaults = ResetOptions::defaults();
        let ticked: Vec<_> = defaults.iter().collect();
        assert_eq!(
            ticked,
            [
                ResetOption::Name,
                ResetOption::EmailAddress,
                ResetOption::Password,
                ResetOption::VoicemailPin,
                ResetOption::Devices
            ]
        );
        assert!(!defaults.contains(ResetOption::VoicemailMessages));
    }

    #[test]
    fn only_the_options_that_delete_rows_count_rows() {
        for option in ResetOption::ALL {
            assert_eq!(option.rows_noun().is_none(), option.is_user_field(), "{option:?}");
        }
    }

    #[test]
    fn select_all_ticks_everything_and_again_unticks_everything() {
        let mut options = ResetOptions::defaults();
        options.toggle_all();
        assert!(options.is_all());
        assert!(ResetOption::ALL.iter().all(|&option| options.contains(option)));
        options.toggle_all();
        assert!(options.is_empty());
        options.toggle_all();
        assert!(options.is_all());
    }

    #[test]
    fn select_all_after_unticking_one_ticks_all_again() {
        let mut options = ResetOptions::all();
        options.set(ResetOption::Contacts, false);
        options.toggle_all();
        assert!(options.is_all());
    }

    #[test]
    fn option_names_on_the_wire_are_stable() {
        let json = serde_json::to_string(&ResetOptions::defaults()).unwrap();
        assert_eq!(json, r#"["name","email-address","password","voicemail-pin","devices"]"#);
        let action = JobAction::Reset { options: ResetOptions::defaults(), recycle: true };
        let back: JobAction = serde_json::from_str(&serde_json::to_string(&action).unwrap()).unwrap();
        assert_eq!(back, action);
    }

    #[test]
    fn the_confirmation_names_exact_figures() {
        let options: ResetOptions =
            [ResetOption::Name, ResetOption::Devices, ResetOption::VoicemailMessages, ResetOption::AnsweringRules]
                .into_iter()
                .collect();
        let preview = ResetPreview {
            users: 5,
            options,
            rows: vec![
                (ResetOption::Devices, 12),
                (ResetOption::VoicemailMessages, 87),
                (ResetOption::AnsweringRules, 4),
            ],
            excluded: Vec::new(),
            schedule: None,
        };
        assert_eq!(
            preview.deletions().as_deref(),
            Some("12 devices, 87 voicemail messages and 4 answering rules will be deleted for 5 users.")
        );
        assert_eq!(preview.clearings().as_deref(), Some("Name will be cleared for 5 users."));
    }
}
