//! What the account actions (Send Welcome Email, Force Password Reset) share: whom each leaves out and
//! why, previewing and starting one for the users it does not leave out, and reading a batch's users
//! whole when the job reaches them.

use super::Refusal;
use crate::server::auth::authz::ManagedDomain;
use crate::server::bulk::{jobs, reach};
use crate::server::db::ids::AmongIds;
use crate::server::entities::{bulk_job, user};
use crate::shared::accounts::{AccountAction, AccountPreview, NO_WAY_BACK};
use crate::shared::bulk::{JobProgress, SkippedUser, Targets};
use crate::shared::error::AppError;
use crate::shared::model::UserStatus;
use sea_orm::{prelude::*, DatabaseTransaction};

/// Why account action `action` leaves `user` out, if it does.
fn skip_reason(action: AccountAction, user: &user::Model) -> Option<&'static str> {
    match (action, user.status, &user.email) {
        (_, UserStatus::SetupRequired, _) => Some("Reset and waiting for a new holder: recycle the extension first."),
        (AccountAction::SendWelcome, _, None) => Some("No email address."),
        // Revoking the password of someone without an email address would leave them no way back in.
        (AccountAction::ForcePasswordReset { revoke: true }, _, None) => Some(NO_WAY_BACK),
        _ => None,
    }
}

/// Who account action `action` would reach among the users `targets` names, and who it skips, after the
/// same checks as a reset.
pub(super) async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    action: AccountAction,
) -> Result<AccountPreview, AppError> {
    let chosen = reach::choose(db, managed, targets, action.job().verb()).await?;
    let mut preview = AccountPreview { action, users: Vec::new(), skipped: chosen.excluded };
    for user in &chosen.users {
        let shown = reach::preview_user(user);
        match skip_reason(action, user) {
            Some(reason) => preview.skipped.push(SkippedUser { user: shown, reason: reason.into() }),
            None => preview.users.push(shown),
        }
    }
    Ok(preview)
}

/// Starts account action `action` as a bulk job for the users it does not skip.
pub(super) async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    targets: &Targets,
    action: AccountAction,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    let preview = preview(db, managed, targets, action).await?;
    if preview.users.is_empty() {
        return Err(reach::none_left(&preview.skipped));
    }
    let ids: Vec<i32> = preview.users.iter().map(|user| user.user_id).collect();
    jobs::start(db, managed, &Targets::Ticked(ids), action.job(), None, remote_addr).await
}

/// The batch's users, whole, if each is still in the job's domain and may still have `action` done.
pub(super) async fn whole(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    user_ids: &[i32],
    action: AccountAction,
) -> Result<Vec<user::Model>, Refusal> {
    let users = user::Entity::find()
        .filter(user::Column::Id.among(txn.get_database_backend(), user_ids.iter().copied()))
        .filter(user::Column::DomainId.eq(job.domain_id))
        .all(txn)
        .await?;
    if users.len() != user_ids.len() {
        return Err(Refusal::moved());
    }
    match users.iter().find_map(|user| skip_reason(action, user)) {
        Some(reason) => Err(Refusal::User(reason.into())),
        None => Ok(users),
    }
}
