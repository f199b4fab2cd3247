//! The audit log: every change and every sign-in, with who, when, what, to whom and from where.

use crate::server::auth::authz::Actor;
use crate::server::entities::audit_log;
use chrono::Utc;
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ActiveModelTrait, ActiveValue, ActiveValue::Set, ConnectionTrait, DbErr, Iterable};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignOut,
    SignInLocked,
    SignInUnlocked,
    DomainCreated,
    UserCreated,
    DemoSeeded,
    BulkJobScheduled,
    BulkJobStarted,
    UserReset,
    WelcomeEmailQueued,
    PasswordResetForced,
    BulkItemFailed,
    BulkItemSkipped,
    BulkJobFinished,
    BulkJobCancelled,
    UserRecycled,
    EmailRetried,
    PasswordSet,
    PasswordChanged,
    BulkWorkHeld,
    BulkWorkReleased,
    ApiTokenCreated,
    ApiTokenRevoked,
    DeprovisioningChanged,
    UserProvisioned,
    UserDeprovisioned,
    ProvisionedUserUpdated,
    ProvisionedUserDeleted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign_in",
            Action::SignInFailed => "sign_in_failed",
            Action::SignOut => "sign_out",
            Action::SignInLocked => "sign_in_locked",
            Action::SignInUnlocked => "sign_in_unlocked",
            Action::DomainCreated => "domain_created",
            Action::UserCreated => "user_created",
            Action::DemoSeeded => "demo_seeded",
            Action::BulkJobScheduled => "bulk_job_scheduled",
            Action::BulkJobStarted => "bulk_job_started",
            Action::UserReset => "user_reset",
            Action::WelcomeEmailQueued => "welcome_email_queued",
            Action::PasswordResetForced => "password_reset_forced",
            Action::BulkItemFailed => "bulk_item_failed",
            Action::BulkItemSkipped => "bulk_item_skipped",
            Action::BulkJobFinished => "bulk_job_finished",
            Action::BulkJobCancelled => "bulk_job_cancelled",
            Action::UserRecycled => "user_recycled",
            Action::EmailRetried => "email_retried",
            Action::PasswordSet => "password_set",
            Action::PasswordChanged => "password_changed",
            Action::BulkWorkHeld => "bulk_work_held",
            Action::BulkWorkReleased => "bulk_work_released",
            Action::ApiTokenCreated => "api_token_created",
            Action::ApiTokenRevoked => "api_token_revoked",
            Action::DeprovisioningChanged => "deprovisioning_changed",
            Action::UserProvisioned => "user_provisioned",
            Action::UserDeprovisioned => "user_deprovisioned",
            Action::ProvisionedUserUpdated => "provisioned_user_updated",
            Action::ProvisionedUserDeleted => "provisioned_user_deleted",
        }
    }
}

/// Who the log names for what is done on the server's command line.
pub const COMMAND_LINE: &str = "command line";

/// One entry, built up with the methods below and written with `record`.
#[derive(Clone, Debug)]
pub struct Entry {
    actor: String,
    actor_user_id: Option<i32>,
    action: Action,
    domain_id: Option<i32>,
    target_user_id: Option<i32>,
    detail: Value,
    remote_addr: Option<String>,
}

impl Entry {
    /// Done by a signed-in portal user.
    pub fn by(actor: &Actor, action: Action) -> Self {
        Self::by_user(actor.user_id, &actor.login, action)
    }

    /// Done by the user `user_id` (who is signing in, say, and has no session yet).
    pub fn by_user(user_id: i32, login: &str, action: Action) -> Self {
        Self::new(login.to_string(), Some(user_id), action)
    }

    /// Done by someone not (yet) signed in; `who` is what they claimed, e.g. the login they tried.
    pub fn anonymous(who: &str, action: Action) -> Self {
        Self::new(who.chars().take(255).collect(), None, action)
    }

    /// Done on the server's command line.
    pub fn cli(action: Action) -> Self {
        Self::new(COMMAND_LINE.into(), None, action)
    }

    /// Done by `actor` (a login, kept as text), who is the user `actor_user_id` if their account exists;
    /// for work done later on someone's behalf, like a bulk job's.
    pub fn new(actor: String, actor_user_id: Option<i32>, action: Action) -> Self {
        Entry {
            actor,
            actor_user_id,
            action,
            domain_id: None,
            target_user_id: None,
            detail: Value::Null,
            remote_addr: None,
        }
    }

    pub fn domain(mut self, domain_id: i32) -> Self {
        self.domain_id = Some(domain_id);
        self
    }

    pub fn target(mut self, user_id: i32) -> Self {
        self.target_user_id = Some(user_id);
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn from_addr(mut self, remote_addr: Option<String>) -> Self {
        self.remote_addr = remote_addr;
        self
    }

    /// Writes the entry on `db`, which may be the transaction of the change it records.
    pub async fn record(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        self.into_row().insert(db).await.map(|_| ())
    }

    /// Writes the entry once for each user `targets` selects (a query of one column: user ids), in its
    /// order, on `db`, with one INSERT … SELECT: a batch's thousand entries differ only in their
    /// target, so they are not sent as a thousand rows of bound values.
    pub async fn record_for_each(self, db: &impl ConnectionTrait, mut targets: SelectStatement) -> Result<(), DbErr> {
        let row = self.into_row();
        // The targets' column comes first in the SELECT, then the values every entry shares.
        let mut columns = vec![audit_log::Column::TargetUserId];
        for column in audit_log::Column::iter().filter(|column| !matches!(column, audit_log::Column::TargetUserId)) {
            if let ActiveValue::Set(value) = row.get(column) {
                columns.push(column);
                targets.expr(Expr::val(value));
            }
        }
        let insert = Query::insert()
            .into_table(audit_log::Entity)
            .columns(columns)
            .select_from(targets)
            .map_err(|err| DbErr::Custom(format!("audit entries for each target: {err}")))?
            .to_owned();
        db.execute(db.get_database_backend().build(&insert)).await.map(|_| ())
    }

    fn into_row(self) -> audit_log::ActiveModel {
        audit_log::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(self.actor),
            actor_user_id: Set(self.actor_user_id),
            domain_id: Set(self.domain_id),
            action: Set(self.action.as_str().to_string()),
            target_user_id: Set(self.target_user_id),
            detail: Set(self.detail.to_string()),
            remote_addr: Set(self.remote_addr),
            ..Default::default()
        }
    }
}

/// Writes many entries on `db` (the transaction of the change they record).
pub async fn record_many(db: &impl ConnectionTrait, entries: impl IntoIterator<Item = Entry>) -> Result<(), DbErr> {
    crate::server::db::insert_chunked(db, entries.into_iter().map(Entry::into_row).collect()).await
}
