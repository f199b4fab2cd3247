//! The actions a bulk job can do, one module each, each with the same entry points: `preview` (who it
//! would reach and what it would do, before the admin confirms), `start` (the job, after every rule),
//! and `apply` (what the worker does to one batch of users, inside the transaction that marks their
//! items done, so that the change exists if and only if the items say so). Recycle Users is not a job
//! (it is saved at once, row by row) but has the same shape. `apply` here is the one place the worker
//! dispatches on a job's action.

mod account_rules;
pub mod password_reset;
pub mod recycle;
mod refusal;
pub mod reset;
pub mod welcome;

pub use refusal::Refusal;

use crate::server::audit::Action;
use crate::server::auth::authz::ManagedDomain;
use crate::server::entities::bulk_job;
use crate::shared::accounts::{AccountAction, AccountPreview, AccountRequest};
use crate::shared::bulk::{JobAction, JobProgress};
use crate::shared::error::AppError;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

/// Does `job`'s `action` to the batch `user_ids`, in the batch's transaction; returns what to audit
/// for each user.
pub async fn apply(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    action: &JobAction,
    user_ids: &[i32],
) -> Result<Action, Refusal> {
    match action {
        JobAction::Reset { options, .. } => {
            reset::apply(txn, job, user_ids, options).await?;
            Ok(Action::UserReset)
        }
        JobAction::SendWelcome => {
            welcome::apply(txn, job, user_ids).await?;
            Ok(Action::WelcomeEmailQueued)
        }
        JobAction::ForcePasswordReset { revoke } => {
            password_reset::apply(txn, job, user_ids, *revoke).await?;
            Ok(Action::PasswordResetForced)
        }
    }
}

/// Who an account action (`AccountRequest`) would reach and who it skips.
pub async fn preview_account(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: &AccountRequest,
) -> Result<AccountPreview, AppError> {
    match request.action {
        AccountAction::SendWelcome => welcome::preview(db, managed, &request.targets).await,
        AccountAction::ForcePasswordReset { revoke } => {
            password_reset::preview(db, managed, &request.targets, revoke).await
        }
    }
}

/// Starts an account action (`AccountRequest`) as a job.
pub async fn start_account(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: AccountRequest,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    match request.action {
        AccountAction::SendWelcome => welcome::start(db, managed, &request.targets, remote_addr).await,
        AccountAction::ForcePasswordReset { revoke } => {
            password_reset::start(db, managed, &request.targets, revoke, remote_addr).await
        }
    }
}
