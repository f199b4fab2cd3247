//! Reset Users: what a reset would delete (`preview`), starting or scheduling one (`start`), and, for each
//! batch of the job, the reset itself (`apply`, `clear`): the chosen data of a set of users cleared
//! with one set-based statement per kind of data (not one per row), inside the caller's transaction,
//! so that a batch of users is reset, or not, as a whole, together with whatever the caller records
//! about it.

use super::Refusal;
use crate::server::auth::authz::ManagedDomain;
use crate::server::bulk::{jobs, reach, schedule};
use crate::server::db::ids::{self, AmongIds};
use crate::server::entities::{
    answering_rule, bulk_job, call_history, contact, device, queue_membership, user, voicemail_greeting,
    voicemail_message,
};
use crate::server::{accounts::links, auth::sessions, mail::outbox};
use crate::shared::bulk::{JobAction, JobProgress, ResetOption, ResetOptions, ResetPreview, ResetRequest};
use crate::shared::error::AppError;
use crate::shared::model::UserStatus;
use chrono::Utc;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Query};
use sea_orm::{prelude::*, ConnectionTrait, DatabaseTransaction};

fn require_options(request: &ResetRequest) -> Result<(), AppError> {
    if request.options.is_empty() {
        return Err(AppError::invalid("options", "Choose at least one kind of data to clear."));
    }
    Ok(())
}

/// What resetting the request's users would delete, counted in the database, after the same checks as
/// `start`.
pub async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: &ResetRequest,
) -> Result<ResetPreview, AppError> {
    require_options(request)?;
    let run_at = schedule::parse(&request.when, Utc::now())?;
    let chosen = reach::choose(db, managed, &request.targets, "reset").await?;
    let ids: Vec<i32> = chosen.users.iter().map(|user| user.id).collect();
    let rows = count(db, &ids, &request.options).await?;
    Ok(ResetPreview {
        users: ids.len() as u64,
        options: request.options.clone(),
        rows,
        excluded: chosen.excluded,
        schedule: run_at.map(|run_at| run_at.schedule()),
    })
}

/// Starts (or schedules, for the time the request names) a reset of the request's users in `domain`,
/// after checking every rule; returns its progress.
pub async fn start(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    request: ResetRequest,
    remote_addr: Option<String>,
) -> Result<JobProgress, AppError> {
    require_options(&request)?;
    let run_at = schedule::parse(&request.when, Utc::now())?;
    let action = JobAction::Reset { options: request.options, recycle: request.recycle };
    jobs::start(db, managed, &request.targets, action, run_at, remote_addr).await
}

/// Resets a batch of job `job`'s users, in the batch's transaction, if each is still in the job's
/// domain.
pub async fn apply(
    txn: &DatabaseTransaction,
    job: &bulk_job::Model,
    user_ids: &[i32],
    options: &ResetOptions,
) -> Result<(), Refusal> {
    match clear(txn, job.domain_id, user_ids, options).await? {
        Cleared::All => Ok(()),
        Cleared::NotAllInDomain => Err(Refusal::moved()),
    }
}

/// Whether `clear` reset every user it was given.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Cleared {
    All,
    /// Some were not users of the domain (moved since they were chosen): the others' fields were
    /// blanked, nothing else was done, and the caller's transaction must be rolled back.
    NotAllInDomain,
}

/// Every table of per-user data has this column naming its owner.
const OWNER: &str = "user_id";

/// The table holding the rows an option deletes; `None` for the fields of the user itself.
fn table(option: ResetOption) -> Option<Alias> {
    use sea_orm::EntityName;
    Some(Alias::new(match option {
        ResetOption::Devices => device::Entity.table_name(),
        ResetOption::VoicemailMessages => voicemail_message::Entity.table_name(),
        ResetOption::VoicemailGreetings => voicemail_greeting::Entity.table_name(),
        ResetOption::AnsweringRules => answering_rule::Entity.table_name(),
        ResetOption::Contacts => contact::Entity.table_name(),
        ResetOption::CallHistory => call_history::Entity.table_name(),
        ResetOption::QueueMemberships => queue_membership::Entity.table_name(),
        // The fields of the user itself (`ResetOption::is_user_field`): blanked by the update below.
        _ => return None,
    }))
}

/// Resets `user_ids`: deletes the ticked kinds of data, blanks the ticked fields, marks each user
/// "Setup Required", starts a new holding of the extension and ends their sessions; whatever was on
/// its way to the former holder (emails, set-password links) is withdrawn. The extension, its phone
/// numbers and the call queues stay.
///
/// `user_ids` must all be users of domain `domain_id`: the users' update, done first, says whether they
/// are (it is the only statement that filters by domain; see `Cleared`).
pub async fn clear(
    db: &impl ConnectionTrait,
    domain_id: i32,
    user_ids: &[i32],
    options: &ResetOptions,
) -> Result<Cleared, DbErr> {
    // A reset account must not stay signed in anywhere, whatever was ticked: its session epoch moves on
    // in this update, and its sessions are deleted below.
    let backend = db.get_database_backend();
    let (epoch, moved_on) = sessions::next_epoch();
    let mut update = user::Entity::update_many()
        .col_expr(epoch, moved_on)
        .col_expr(user::Column::Status, Expr::value(UserStatus::SetupRequired))
        .col_expr(user::Column::MustChangePassword, Expr::value(false))
        .col_expr(user::Column::Holding, Expr::col(user::Column::Holding).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()));
    for option in options.iter() {
        let cleared: &[(user::Column, sea_orm::Value)] = match option {
            ResetOption::Name => &[
                (user::Column::FirstName, sea_orm::Value::String(Some(Box::default()))),
                (user::Column::LastName, sea_orm::Value::String(Some(Box::default()))),
            ],
            ResetOption::EmailAddress => &[(user::Column::Email, sea_orm::Value::String(None))],
            ResetOption::Password => &[(user::Column::PasswordHash, sea_orm::Value::String(None))],
            ResetOption::VoicemailPin => &[(user::Column::VoicemailPinHash, sea_orm::Value::String(None))],
            _ => &[],
        };
        for (column, value) in cleared {
            update = update.col_expr(*column, Expr::value(value.clone()));
        }
    }
    let updated = update
        .filter(user::Column::Id.among(backend, user_ids.iter().copied()))
        .filter(user::Column::DomainId.eq(domain_id))
        .exec(db)
        .await?;
    if updated.rows_affected != user_ids.len() as u64 {
        return Ok(Cleared::NotAllInDomain);
    }

    for table in options.iter().filter_map(table) {
        let delete = Query::delete()
            .from_table(table)
            .and_where(ids::among(backend, Alias::new(OWNER), user_ids.iter().copied()))
            .to_owned();
        db.execute(backend.build(&delete)).await?;
    }

    // Nothing sent or about to be sent to the former holder may let anyone in.
    sessions::delete_all(db, user_ids).await?;
    outbox::withdraw(db, user_ids).await?;
    links::forget(db, user_ids).await?;
    Ok(Cleared::All)
}

/// How many rows each ticked kind of data has over `user_ids`: what a reset would delete.
pub async fn count(
    db: &impl ConnectionTrait,
    user_ids: &[i32],
    options: &ResetOptions,
) -> Result<Vec<(ResetOption, u64)>, DbErr> {
    let backend = db.get_database_backend();
    let mut counts = Vec::new();
    for option in options.iter() {
        let Some(table) = table(option) else { continue };
        let select = Query::select()
            .expr(Expr::col(Asterisk).count())
            .from(table)
            .and_where(ids::among(backend, Alias::new(OWNER), user_ids.iter().copied()))
            .to_owned();
        let n: i64 = match db.query_one(backend.build(&select)).await? {
            Some(row) => row.try_get_by_index(0)?,
            None => 0,
        };
        counts.push((option, n.unsigned_abs()));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_but_the_users_own_fields_has_a_table() {
        for option in ResetOption::ALL {
            assert_eq!(table(option).is_none(), option.is_user_field(), "{option:?}");
        }
    }
}
