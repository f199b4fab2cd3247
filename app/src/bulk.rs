//! Bulk jobs as the browser and the server both see them: what a reset may clear, what a job is
//! asked to do, how far it has got, and the Recycle Users form's rows.

#[cfg(feature = "ssr")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One job handles at most this many users: a whole large domain, but not an unbounded request.
pub const MAX_JOB_USERS: usize = 10_000;

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

    /// For the kinds of data that are rows of their own, how to count them ("1 device", "2 devices");
    /// `None` for the fields of the user that a reset blanks.
    pub fn rows_noun(self) -> Option<(&'static str, &'static str)> {
        match self {
            ResetOption::Name | ResetOption::EmailAddress | ResetOption::Password | ResetOption::VoicemailPin => None,
            ResetOption::Devices => Some(("device", "devices")),
            ResetOption::VoicemailMessages => Some(("voicemail message", "voicemail messages")),
            ResetOption::VoicemailGreetings => Some(("voicemail greeting", "voicemail greetings")),
            ResetOption::AnsweringRules => Some(("answering rule", "answering rules")),
            ResetOption::Contacts => Some(("contact", "contacts")),
            ResetOption::CallHistory => Some(("call history entry", "call history entries")),
            ResetOption::QueueMemberships => Some(("call queue membership", "call queue memberships")),
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

/// "a", "a and b", "a, b and c".
pub fn join_and(mut parts: Vec<String>) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    }
}

/// "1 user", "5 users".
pub fn count_of(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

/// What a bulk job does to each of its users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum JobAction {
    /// Clear the chosen data; with `recycle`, the admin is offered the Recycle Users form afterwards.
    Reset { options: ResetOptions, recycle: bool },
    /// Queue a welcome email with a set-password link (users with an email address only).
    SendWelcome,
    /// Make each user choose a new password at next sign-in, end their sessions, and email them a
    /// link where they have an address.
    ForcePasswordReset,
}

impl JobAction {
    /// The name stored with the job and shown on the Activity page.
    pub fn slug(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "reset",
            JobAction::SendWelcome => "send-welcome",
            JobAction::ForcePasswordReset => "force-password-reset",
        }
    }

    /// What is done to each user, for messages: "You cannot reset your own account."
    pub fn verb(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "reset",
            JobAction::SendWelcome => "send a welcome email to",
            JobAction::ForcePasswordReset => "force a password reset on",
        }
    }

    /// The action's name, as on its button: "Reset Users".
    pub fn title(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "Reset Users",
            JobAction::SendWelcome => "Send Welcome Email",
            JobAction::ForcePasswordReset => "Force Password Reset",
        }
    }

    /// The progress dialog's title and the progress bar's name: "Reset Progress".
    pub fn progress_title(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "Reset Progress",
            JobAction::SendWelcome => "Welcome Email Progress",
            JobAction::ForcePasswordReset => "Password Reset Progress",
        }
    }

    /// What the progress step says when the job is finished.
    pub fn complete(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "Reset complete",
            JobAction::SendWelcome => "Welcome emails queued",
            JobAction::ForcePasswordReset => "Password reset complete",
        }
    }

    /// "3 of 5 users reset".
    pub fn summary(&self, done: u64, total: u64) -> String {
        let users = count_of(total, "user", "users");
        match self {
            JobAction::Reset { .. } => format!("{done} of {users} reset"),
            JobAction::SendWelcome => format!("Welcome email queued for {done} of {users}"),
            JobAction::ForcePasswordReset => format!("{done} of {users} must change password"),
        }
    }

    /// The Users page's banner while the job runs: "Reset in progress".
    pub fn in_progress(&self) -> &'static str {
        match self {
            JobAction::Reset { .. } => "Reset in progress",
            JobAction::SendWelcome => "Welcome emails in progress",
            JobAction::ForcePasswordReset => "Password reset in progress",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            JobAction::Reset { options, recycle: false } => format!("Reset: {}", options.describe()),
            JobAction::Reset { options, recycle: true } => format!("Reset and recycle: {}", options.describe()),
            JobAction::SendWelcome | JobAction::ForcePasswordReset => self.title().to_string(),
        }
    }
}

/// A job runs until each of its users is done or failed; then it is finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))"))]
pub enum JobState {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "finished"))]
    Finished,
}

/// Where one user of a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))"))]
pub enum ItemState {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "pending"))]
    Pending,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "done"))]
    Done,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "failed"))]
    Failed,
}

impl ItemState {
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Pending => "Waiting",
            ItemState::Done => "Done",
            ItemState::Failed => "Failed",
        }
    }
}

/// How far a job has got; read from the job's rows, so any server replica can answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    pub id: i32,
    pub action: JobAction,
    pub state: JobState,
    pub total: u64,
    pub done: u64,
    pub failed: u64,
}

impl JobProgress {
    pub fn processed(&self) -> u64 {
        self.done + self.failed
    }

    pub fn is_finished(&self) -> bool {
        self.state == JobState::Finished
    }

    /// "3 of 5 users reset".
    pub fn summary(&self) -> String {
        self.action.summary(self.done, self.total)
    }

    pub fn new(id: i32, action: JobAction, counts: JobCounts) -> Self {
        let JobCounts { state, total, done, failed } = counts;
        Self { id, action, state, total, done, failed }
    }
}

/// The part of a job's progress that changes while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    pub state: JobState,
    pub total: u64,
    pub done: u64,
    pub failed: u64,
}

/// A running job's news, as its progress stream sends it (`job_events_path`): small, and only what
/// changed, so a dialog watching a 10,000-user job costs a few hundred bytes a second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobEvent {
    /// The counts: first of all, then whenever they change. The last one says the job is finished.
    Counts(JobCounts),
    /// A user that failed, once each (up to `ITEMS_SHOWN` of them).
    Failed(ItemOutcome),
}

/// The progress stream of job `id` (server-sent events, read by the progress step).
pub fn job_events_path(id: i32) -> String {
    format!("/api/jobs/{id}/events")
}

/// The stream of a domain's unfinished jobs (server-sent events, read by the Users page's banner):
/// the list whenever it changes, ending with an empty one when the last job is done.
pub fn running_jobs_path(domain: &str) -> String {
    format!("/api/domains/{domain}/jobs/events")
}

/// One user's line in the status step, the Activity page and the CSV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemOutcome {
    /// `None` once the user's account no longer exists.
    pub user_id: Option<i32>,
    pub extension: String,
    /// The name the user had when the job started.
    pub name: String,
    pub state: ItemState,
    /// Why it failed, in words for the admin.
    pub error: Option<String>,
}

/// A job's progress and its users' outcomes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatus {
    pub domain: String,
    /// Whether the domain uses portal security or voicemail to email, where a recycled user's email
    /// address matters.
    pub email_recommended: bool,
    pub progress: JobProgress,
    /// Every failed user, then the rest in extension order, up to `ITEMS_SHOWN`.
    pub items: Vec<ItemOutcome>,
    /// Whether `items` leaves some users out (the CSV has them all).
    pub truncated: bool,
}

/// How many users' outcomes the status step lists; a larger job is summed up and its CSV has the rest.
pub const ITEMS_SHOWN: u64 = 500;

/// What a reset would delete, counted in the database, for the confirmation step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPreview {
    pub users: u64,
    pub options: ResetOptions,
    /// Rows each ticked kind of data has, over all the users.
    pub rows: Vec<(ResetOption, u64)>,
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
            .filter(|option| option.rows_noun().is_none())
            .map(|option| option.label().to_string())
            .collect();
        (!fields.is_empty())
            .then(|| format!("{} will be cleared for {}.", join_and(fields), count_of(self.users, "user", "users")))
    }
}

/// What the browser sends to start a reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRequest {
    pub user_ids: Vec<i32>,
    pub options: ResetOptions,
    pub recycle: bool,
}

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecycleField {
    FirstName,
    LastName,
    Email,
    /// The row as a whole (the user cannot be recycled at all).
    Row,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: RecycleField,
    pub message: String,
}

impl RecycleEntry {
    /// Every problem of the row, each at its field; empty when it may be saved.
    pub fn problems(&self) -> Vec<FieldError> {
        use crate::error::AppError;
        use crate::validate::{validate_email, validate_name};
        let checks = [
            (RecycleField::FirstName, validate_name("first_name", "First Name", &self.first_name)),
            (RecycleField::LastName, validate_name("last_name", "Last Name", &self.last_name)),
            (
                RecycleField::Email,
                match self.email.trim() {
                    "" if self.send_welcome => {
                        Err(AppError::invalid("email", "Enter an email address to send the welcome email."))
                    }
                    "" => Ok(()),
                    email => validate_email(email),
                },
            ),
        ];
        checks
            .into_iter()
            .filter_map(|(field, result)| result.err().map(|err| FieldError { field, message: err.to_string() }))
            .collect()
    }
}

/// The answer to a Recycle Users save: the rows saved, and the problems of the rest (which were not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecycleOutcome {
    pub saved: Vec<i32>,
    pub rejected: Vec<(i32, Vec<FieldError>)>,
}

/// One job on the Activity page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub progress: JobProgress,
    pub domain: String,
    pub actor: String,
    /// When it started, as "2026-11-27 14:05 UTC".
    pub started: String,
    pub finished: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        assert_eq!(
            preview.deletions().as_deref(),
            Some("12 devices, 87 voicemail messages and 4 answering rules will be deleted for 5 users.")
        );
        assert_eq!(preview.clearings().as_deref(), Some("Name will be cleared for 5 users."));
    }

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
        assert_eq!(fields, [RecycleField::FirstName, RecycleField::LastName, RecycleField::Email]);
        assert_eq!(bad.problems()[0].message, "First Name is required.");
    }

    #[test]
    fn progress_reads_as_a_sentence() {
        let progress = JobProgress {
            id: 1,
            action: JobAction::Reset { options: ResetOptions::defaults(), recycle: false },
            state: JobState::Running,
            total: 5,
            done: 3,
            failed: 0,
        };
        assert_eq!(progress.summary(), "3 of 5 users reset");
    }
}
