//! The account actions: Send Welcome Email and Force Password Reset. Who each would reach and who it
//! skips (before the admin confirms), and what the worker does for each user, inside the transaction
//! that marks the user's item done, so that the outbox row exists if and only if the change does.

use crate::accounts::{AccountAction, AccountPreview, AccountRequest, SkippedUser, NO_WAY_BACK};
use crate::bulk::{JobAction, JobProgress, Targets};
use crate::error::AppError;
use crate::mail::MessageKind;
use crate::model::UserStatus;
use crate::server::auth::authz::ManagedDomain;
use crate::server::entities::{bulk_job, user};
use crate::server::{accounts::links, auth::sessions, bulk::jobs, bulk::targets, mail::outbox};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, DatabaseTransaction};

/// Why `action` leaves `user` out, if it does.
pub fn skip_reason(action: AccountAction, user: &user::Model) -> Option<&'static str> {
    match (action, user.status, &user.email) {
        (_, UserStatus::SetupRequired, _) => Some("Reset and waiting for a new holder: recycle the extension first."),
        (AccountAction::SendWelcome, _, None) => Some("No email address."),
        (AccountAction::ForcePasswordReset { revoke: true }, _, None) => Some(NO_WAY_BACK),
        _ => None,
    }
}

/// Who the request's action would reach and who it skips, after the same checks as a reset.
pub async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: &AccountRequest,
) -> Result<AccountPreview, AppError> {
    let action = request.action;
    let chosen = targets::choose(db, managed, &request.targets, action.job().verb()).await?;
    let mut preview = AccountPreview { action, users: Vec::new(), skipped: chosen.excluded };
    for user in &chosen.users {
        let shown = targets::preview_user(user);
        match skip_reason(action, user) {
            Some(reason) => preview.skipped.push(SkippedUser { user: shown, reason: reason.into() }),
            None => preview.users.push(shown),
        }
    }
    Ok(preview)
}

/// Starts the request's action as a bulk job for the users it does not skip.
pub async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: AccountRequest,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let preview = preview(db, managed, &request).await?;
    if preview.users.is_empty() {
        return Err(targets::none_left(&preview.skipped));
    }
    let ids: Vec<i32> = preview.users.iter().map(|user| user.user_id).collect();
    jobs::start(db, managed, &Targets::Ticked(ids), request.action.job(), None, remote_addr).await
}

/// Why a batch of a running `action` job cannot go ahead after all (one of its users changed since the
/// job started), in words for the admin.
pub fn refusal(action: &JobAction, users: &[user::Model]) -> Option<&'static str> {
    let action = match action {
        JobAction::Reset { .. } => return None,
        JobAction::SendWelcome => AccountAction::SendWelcome,
        JobAction::ForcePasswordReset { revoke } => AccountAction::ForcePasswordReset { revoke: *revoke },
    };
    users.iter().find_map(|user| skip_reason(action, user))
}

/// Queues a welcome email to each of `users` (a batch of a job), in the batch's transaction.
pub async fn send_welcome(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    users: &[user::Model],
) -> Result<(), DbErr> {
    for user in users {
        outbox::enqueue(txn, user, MessageKind::Welcome, &job.actor).await?;
    }
    Ok(())
}

/// Makes each of `users` choose a new password, signs them out everywhere and queues a reset link to
/// those with an email address, in the batch's transaction. Without `revoke`, their current password
/// leads only to Change Password at next sign-in; with it, the password is gone, and so is every
/// set-password link sent before: the new link is the only way back in.
pub async fn force_password_reset(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    users: &[user::Model],
    revoke: bool,
) -> Result<(), DbErr> {
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
    update.filter(user::Column::Id.is_in(ids.clone())).exec(txn).await?;
    sessions::end_all(txn, &ids, None).await?;
    if revoke {
        links::forget(txn, &ids).await?;
    }
    for user in users {
        outbox::enqueue(txn, user, MessageKind::PasswordReset, &job.actor).await?;
    }
    Ok(())
}
