//! Send Welcome Email: a welcome email, with a link to choose a password, queued for each user with an
//! email address.

use super::{account_rules, Refusal};
use crate::server::auth::authz::ManagedDomain;
use crate::server::entities::bulk_job;
use crate::server::mail::outbox;
use crate::shared::accounts::{AccountAction, AccountPreview};
use crate::shared::bulk::{JobProgress, Targets};
use crate::shared::error::AppError;
use crate::shared::mail::MessageKind;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

/// Who the email would go to, and who it skips.
pub async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
) -> Result<AccountPreview, AppError> {
    account_rules::preview(db, managed, targets, AccountAction::SendWelcome).await
}

/// Starts sending it, as a job, to the users it does not skip.
pub async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    account_rules::start(db, managed, targets, AccountAction::SendWelcome, remote_addr).await
}

/// Queues a welcome email to each user of a batch of the job, in the batch's transaction.
pub async fn apply(txn: &DatabaseTransaction, job: &bulk_job::Model, user_ids: &[i32]) -> Result<(), Refusal> {
    for user in account_rules::whole(txn, job, user_ids, AccountAction::SendWelcome).await? {
        outbox::enqueue(txn, &user, MessageKind::Welcome, &job.actor).await?;
    }
    Ok(())
}
