//! A bulk job as the browser sees it: what it does to each user, its state, its counts as they change,
//! the events of its progress stream, and its users' outcomes.

use super::reset_options::ResetOptions;
use super::waiting::Waiting;
use super::when::Schedule;
use crate::shared::words::{count_of, number};
#[cfg(feature = "ssr")]
use sea_orm::sea_query::StringLen;
use serde::{Deserialize, Serialize};

/// What a bulk job does to each of its users.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum JobAction {
    /// Clear the chosen data; with `recycle`, the admin is offered the Recycle Users form afterwards.
    Reset { options: ResetOptions, recycle: bool },
    /// Queue a welcome email with a set-password link (users with an email address only).
    SendWelcome,
    /// Make each user choose a new password, end their sessions, and email them a link where they
    /// have an address. Without `revoke` the current password opens the Change Password page until
    /// then; with it, the current password stops working at once (for one that may have leaked), and
    /// the link is the only way back in.
    ForcePasswordReset {
        // Jobs made before there was a choice kept the password.
        #[serde(default)]
        revoke: bool,
    },
}

/// The words an action is shown and talked about with: one table per action, so that adding an action
/// is adding a table.
struct Wording {
    slug: &'static str,
    verb: &'static str,
    title: &'static str,
    progress_title: &'static str,
    complete: &'static str,
    in_progress: &'static str,
    scheduled: &'static str,
    finished: &'static str,
    /// What goes before and after "3 of 5 users" in the progress sentence.
    summary: (&'static str, &'static str),
}

const RESET: Wording = Wording {
    slug: "reset",
    verb: "reset",
    title: "Reset Users",
    progress_title: "Reset Progress",
    complete: "Reset complete",
    in_progress: "Reset in progress",
    scheduled: "Reset scheduled",
    finished: "Reset finished",
    summary: ("", " reset"),
};

const SEND_WELCOME: Wording = Wording {
    slug: "send-welcome",
    verb: "send a welcome email to",
    title: "Send Welcome Email",
    progress_title: "Welcome Email Progress",
    complete: "Welcome emails queued",
    in_progress: "Welcome emails in progress",
    scheduled: "Welcome emails scheduled",
    finished: "Welcome emails finished",
    summary: ("Welcome email queued for ", ""),
};

const FORCE_PASSWORD_RESET: Wording = Wording {
    slug: "force-password-reset",
    verb: "force a password reset on",
    title: "Force Password Reset",
    progress_title: "Password Reset Progress",
    complete: "Password reset complete",
    in_progress: "Password reset in progress",
    scheduled: "Password reset scheduled",
    finished: "Password reset finished",
    summary: ("", " must change password"),
};

impl JobAction {
    fn wording(&self) -> &'static Wording {
        match self {
            JobAction::Reset { .. } => &RESET,
            JobAction::SendWelcome => &SEND_WELCOME,
            JobAction::ForcePasswordReset { .. } => &FORCE_PASSWORD_RESET,
        }
    }

    /// The name stored with the job and shown on the Activity page.
    pub fn slug(&self) -> &'static str {
        self.wording().slug
    }

    /// What is done to each user, for messages: "You cannot reset your own account."
    pub fn verb(&self) -> &'static str {
        self.wording().verb
    }

    /// The action's name, as on its button: "Reset Users".
    pub fn title(&self) -> &'static str {
        self.wording().title
    }

    /// The progress dialog's title and the progress bar's name: "Reset Progress".
    pub fn progress_title(&self) -> &'static str {
        self.wording().progress_title
    }

    /// What the progress step says when the job is finished.
    pub fn complete(&self) -> &'static str {
        self.wording().complete
    }

    /// "3 of 5 users reset".
    pub fn summary(&self, done: u64, total: u64) -> String {
        let (before, after) = self.wording().summary;
        format!("{before}{} of {}{after}", number(done), count_of(total, "user", "users"))
    }

    /// The Users page's banner while the job runs: "Reset in progress".
    pub fn in_progress(&self) -> &'static str {
        self.wording().in_progress
    }

    /// The Users page's banner while the job waits for its time: "Reset scheduled".
    pub fn scheduled(&self) -> &'static str {
        self.wording().scheduled
    }

    pub fn describe(&self) -> String {
        match self {
            JobAction::Reset { options, recycle: false } => format!("Reset: {}", options.describe()),
            JobAction::Reset { options, recycle: true } => format!("Reset and recycle: {}", options.describe()),
            JobAction::ForcePasswordReset { revoke: true } => format!("{}, current password revoked", self.title()),
            JobAction::SendWelcome | JobAction::ForcePasswordReset { revoke: false } => self.title().to_string(),
        }
    }
}

/// A job runs until each of its users is done, failed or skipped, then it is finished; or until an
/// admin cancels it, when the users still waiting are left as they are. A job scheduled for a time
/// waits until then, its users reserved for it (no other job can take them) but otherwise untouched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "ssr", sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))"))]
pub enum JobState {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "scheduled"))]
    Scheduled,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "finished"))]
    Finished,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "cancelled"))]
    Cancelled,
}

impl JobState {
    /// Finished or cancelled: nothing more will happen to its users.
    pub fn is_over(self) -> bool {
        matches!(self, JobState::Finished | JobState::Cancelled)
    }
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
    /// The job was cancelled before this user's turn: nothing was done to them.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "cancelled"))]
    Cancelled,
    /// A scheduled job found, when its time came, that the user no longer qualified: nothing was done.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "skipped"))]
    Skipped,
}

impl ItemState {
    pub fn label(self) -> &'static str {
        match self {
            ItemState::Pending => "Waiting",
            ItemState::Done => "Done",
            ItemState::Failed => "Failed",
            ItemState::Cancelled => "Cancelled",
            ItemState::Skipped => "Skipped",
        }
    }
}

/// How far a job has got; read from the job's rows, so any server replica can answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobProgress {
    pub id: i32,
    pub action: JobAction,
    /// What changes while it runs: what its progress stream sends.
    pub counts: JobCounts,
    /// When it is to start, for a job that was scheduled.
    pub schedule: Option<Schedule>,
}

impl JobProgress {
    /// "3 of 5 users reset"; "Cancelled: 3 of 5 users reset".
    pub fn summary(&self) -> String {
        let summary = self.action.summary(self.counts.done, self.counts.total);
        match self.counts.state {
            JobState::Cancelled => format!("Cancelled: {summary}"),
            JobState::Scheduled | JobState::Running | JobState::Finished => summary,
        }
    }

    /// What the progress step says once nothing more will happen.
    pub fn outcome(&self) -> &'static str {
        match self.counts.state {
            JobState::Cancelled => "Job cancelled",
            JobState::Scheduled | JobState::Running | JobState::Finished => self.action.complete(),
        }
    }

    /// The Users page's banner: "Reset in progress: 3 of 5", "Reset scheduled: 12 users, Fri 4 Dec
    /// 18:00 (Europe/Berlin)".
    pub fn banner(&self) -> String {
        let counts = &self.counts;
        match (&self.schedule, counts.state) {
            (Some(schedule), JobState::Scheduled) => format!(
                "{}: {}, {}",
                self.action.scheduled(),
                count_of(counts.total, "user", "users"),
                schedule.short_with_zone()
            ),
            _ => {
                let progress = format!(
                    "{}: {} of {}",
                    self.action.in_progress(),
                    number(counts.processed()),
                    number(counts.total)
                );
                match counts.waiting {
                    Some(waiting) => format!("{progress} ({})", waiting.short()),
                    None => progress,
                }
            }
        }
    }

    /// The Users page's banner once the job has ended while the page looked on: "Reset finished: 5 users".
    pub fn finished_banner(&self) -> String {
        format!("{}: {}", self.action.wording().finished, count_of(self.counts.total, "user", "users"))
    }

    /// The scheduled job's sentence: "These 12 users will be reset on Friday 4 December at 18:00
    /// (Europe/Berlin). Until then nothing changes."
    pub fn scheduled_sentence(&self) -> Option<String> {
        let schedule = self.schedule.as_ref().filter(|_| self.counts.state == JobState::Scheduled)?;
        Some(will_be_done(&self.action, self.counts.total, schedule))
    }
}

/// "These 12 users will be reset on Friday 4 December at 18:00 (Europe/Berlin). Until then nothing
/// changes."
pub fn will_be_done(action: &JobAction, users: u64, schedule: &Schedule) -> String {
    let whom = match users {
        1 => "This user".to_string(),
        n => format!("These {}", count_of(n, "user", "users")),
    };
    let verb = match action {
        JobAction::Reset { .. } => "reset",
        JobAction::SendWelcome => "sent a welcome email",
        JobAction::ForcePasswordReset { .. } => "made to choose a new password",
    };
    format!("{whom} will be {verb} on {}. Until then nothing changes.", schedule.long_with_zone())
}

/// The part of a job's progress that changes while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    pub state: JobState,
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Why it makes no progress for now, if it is running and waits.
    pub waiting: Option<Waiting>,
}

impl JobCounts {
    pub fn processed(&self) -> u64 {
        self.done + self.failed + self.skipped
    }

    /// Finished or cancelled: nothing more will happen to its users.
    pub fn is_finished(&self) -> bool {
        self.state.is_over()
    }

    /// The users a cancelled job left untouched (none for any other).
    pub fn cancelled(&self) -> u64 {
        match self.state {
            JobState::Cancelled => self.total.saturating_sub(self.processed()),
            JobState::Scheduled | JobState::Running | JobState::Finished => 0,
        }
    }
}

/// A running job's news, as its progress stream sends it (`routes::JOB_EVENTS`): small, and only what
/// changed, so a dialog watching a 10,000-user job costs a few hundred bytes a second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobEvent {
    /// The counts: first of all, then whenever they change. The last one says the job is finished.
    Counts(JobCounts),
    /// A user that failed, once each (up to `ITEMS_SHOWN` of them).
    Failed(ItemOutcome),
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

/// One job on the Activity page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobSummary {
    pub progress: JobProgress,
    pub domain: String,
    pub actor: String,
    /// When it started, as "2026-11-27 14:05 UTC"; none while it is scheduled.
    pub started: Option<String>,
    pub finished: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_reads_as_a_sentence() {
        let counts = JobCounts { state: JobState::Running, total: 5, done: 3, failed: 0, skipped: 0, waiting: None };
        let progress = JobProgress {
            id: 1,
            action: JobAction::Reset { options: ResetOptions::defaults(), recycle: false },
            counts,
            schedule: None,
        };
        assert_eq!(progress.summary(), "3 of 5 users reset");
        assert_eq!(JobAction::SendWelcome.summary(3, 5), "Welcome email queued for 3 of 5 users");
        assert_eq!(JobAction::ForcePasswordReset { revoke: false }.summary(1, 1), "1 of 1 user must change password");

        let cancelled = JobProgress { counts: JobCounts { state: JobState::Cancelled, ..counts }, ..progress.clone() };
        assert_eq!(cancelled.summary(), "Cancelled: 3 of 5 users reset");
        assert_eq!(cancelled.counts.cancelled(), 2);
        assert!(cancelled.counts.is_finished());

        let schedule = Schedule {
            long: "Friday 4 December at 18:00".into(),
            short: "Fri 4 Dec 18:00".into(),
            zone: "Europe/Berlin".into(),
        };
        let scheduled = JobProgress {
            counts: JobCounts { state: JobState::Scheduled, total: 12, done: 0, ..counts },
            schedule: Some(schedule),
            ..progress
        };
        assert!(!scheduled.counts.is_finished());
        assert_eq!(scheduled.banner(), "Reset scheduled: 12 users, Fri 4 Dec 18:00 (Europe/Berlin)");
        assert_eq!(
            scheduled.scheduled_sentence().as_deref(),
            Some("These 12 users will be reset on Friday 4 December at 18:00 (Europe/Berlin). Until then nothing changes.")
        );
        let running =
            JobProgress { counts: JobCounts { state: JobState::Running, done: 3, ..scheduled.counts }, ..scheduled };
        assert_eq!(running.banner(), "Reset in progress: 3 of 12");
        assert_eq!(running.scheduled_sentence(), None);
        let held = JobProgress { counts: JobCounts { waiting: Some(Waiting::Held), ..running.counts }, ..running };
        assert_eq!(held.banner(), "Reset in progress: 3 of 12 (paused by your service provider)");
    }
}
