//! Force Password Reset: each user must choose a new password, is signed out everywhere and is sent a
//! link to choose it. Without `revoke`, their current password leads only to Change Password at next
//! sign-in; with it, the password is gone, and so is every set-password link sent before: the new link
//! is the only way back in.

use super::{account_rules, Refusal};
use crate::server::accounts::links;
use crate::server::auth::authz::ManagedDomain;
use crate::server::auth::sessions;
use crate::server::db::ids::AmongIds;
use crate::server::entities::{bulk_job, user};
use crate::server::mail::outbox;
use crate::shared::accounts::{AccountAction, AccountPreview};
use crate::shared::bulk::{JobProgress, Targets};
use crate::shared::error::AppError;
use crate::shared::mail::MessageKind;
use crate::shared::model::UserStatus;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, DatabaseTransaction};

/// Who would have to choose a new password, and who it skips.
pub async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    revoke: bool,
) -> Result<AccountPreview, AppError> {
    account_rules::preview(db, managed, targets, AccountAction::ForcePasswordReset { revoke }).await
}

/// Starts it, as a job, for the users it does not skip.
pub async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    revoke: bool,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    account_rules::start(db, managed, targets, AccountAction::ForcePasswordReset { revoke }, remote_addr).await
}

/// Forces the reset on the users of a batch of the job, in the batch's transaction.
pub async fn apply(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    user_ids: &[i32],
    revoke: bool,
) -> Result<(), Refusal> {
    let users = account_rules::whole(txn, job, user_ids, AccountAction::ForcePasswordReset { revoke }).await?;
    let ids: Vec<i32> = users.iter().map(|user| user.id).collect();
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::Status, Expr::value(UserStatus::PasswordRequired))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()));
    update = if revoke {
        update
            .col_expr(user::Column::PasswordHash, Expr::value(None::<String>))
            .col_expr(user::Column::MustChangePassword, Expr::value(false))
    } else {
        update.col_expr(user::Column::MustChangePassword, Expr::value(true))
    };
    update.filter(user::Column::Id.among(txn.get_database_backend(), ids.iter().copied())).exec(txn).await?;
    sessions::end_all(txn, &ids, None).await?;
    if revoke {
        links::forget(txn, &ids).await?;
    }
    for user in &users {
        outbox::enqueue(txn, user, MessageKind::PasswordReset, &job.actor).await?;
    }
    Ok(())
}
