//! Recycling: handing reset extensions to new people. Each row of the form is checked on its own; the
//! valid ones are saved (in one transaction), the others come back with a message at each bad field,
//! so the admin fixes those and loses none of what was typed.

use crate::bulk::{RecycleEntry, RecycleField, RecycleOutcome, RecycleTargets};
use crate::error::AppError;
use crate::error::FieldError;
use crate::mail::MessageKind;
use crate::model::UserStatus;
use crate::server::audit::{self, Action};
use crate::server::auth::authz::ManagedDomain;
use crate::server::entities::user;
use crate::server::{bulk::targets, mail::outbox};
use crate::words::join_and;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, TransactionTrait};
use std::collections::{BTreeSet, HashMap};

/// The Recycle Users form's rows for the users `user_ids` names, if each may be recycled by the actor:
/// the same rules as a reset, and each user must have been reset ("Setup Required").
pub async fn targets(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    user_ids: &[i32],
) -> Result<RecycleTargets, AppError> {
    let domain = managed.domain();
    let users = targets::load(db, managed, user_ids, "recycle").await?;
    let not_reset: Vec<String> = users
        .iter()
        .filter(|user| user.status != UserStatus::SetupRequired)
        .map(|user| user.extension.clone())
        .collect();
    if !not_reset.is_empty() {
        return Err(AppError::Conflict(format!(
            "Only reset users (Setup Required) can be recycled; reset {} first.",
            join_and(not_reset)
        )));
    }
    Ok(RecycleTargets {
        users: users.into_iter().map(|user| (user.id, user.extension)).collect(),
        email_recommended: domain.wants_email(),
    })
}

/// Recycles the users the entries name: new name and email, no password and no voicemail PIN, status
/// "Password Required". Only users that have been reset ("Setup Required") can be recycled.
pub async fn recycle(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    entries: Vec<RecycleEntry>,
    remote_addr: Option<String>,
) -> Result<RecycleOutcome, AppError> {
    let (actor, domain) = (managed.actor(), managed.domain());
    let ids: Vec<i32> = entries.iter().map(|entry| entry.user_id).collect();
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(AppError::invalid("users", "Each user can appear only once in the form."));
    }
    // The same rules as for a reset: the domain's users, within the actor's scope, not in a running job.
    let users: HashMap<i32, user::Model> =
        targets::load(db, managed, &ids, "recycle").await?.into_iter().map(|user| (user.id, user)).collect();

    let mut outcome = RecycleOutcome::default();
    let mut valid = Vec::new();
    for entry in entries {
        let mut problems = entry.problems();
        if let Some(user) = users.get(&entry.user_id).filter(|user| user.status != UserStatus::SetupRequired) {
            problems.push(not_reset(user));
        }
        if problems.is_empty() {
            valid.push(entry);
        } else {
            outcome.rejected.push((entry.user_id, problems));
        }
    }
    if valid.is_empty() {
        return Ok(outcome);
    }

    let txn = db.begin().await?;
    let now = Utc::now();
    for entry in valid {
        let email = Some(entry.email.trim().to_lowercase()).filter(|email| !email.is_empty());
        let updated = user::Entity::update_many()
            .col_expr(user::Column::FirstName, Expr::value(entry.first_name.trim()))
            .col_expr(user::Column::LastName, Expr::value(entry.last_name.trim()))
            .col_expr(user::Column::Email, Expr::value(email.clone()))
            .col_expr(user::Column::PasswordHash, Expr::value(None::<String>))
            .col_expr(user::Column::VoicemailPinHash, Expr::value(None::<String>))
            .col_expr(user::Column::Status, Expr::value(UserStatus::PasswordRequired))
            .col_expr(user::Column::MustChangePassword, Expr::value(false))
            // A new holder: a new holding of the extension.
            .col_expr(user::Column::Holding, Expr::col(user::Column::Holding).add(1))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(user::Column::Id.eq(entry.user_id))
            // Checked again here: another admin may have recycled (or reset) it since we read it.
            .filter(user::Column::Status.eq(UserStatus::SetupRequired))
            .filter(user::Column::Holding.eq(users.get(&entry.user_id).map_or(0, |user| user.holding)))
            .exec(&txn)
            .await?;
        match users.get(&entry.user_id) {
            Some(user) if updated.rows_affected == 0 => outcome.rejected.push((entry.user_id, vec![not_reset(user)])),
            user => {
                // The welcome email is queued with the change, in its transaction, for the new holding.
                if let Some(user) = user.filter(|_| entry.send_welcome) {
                    let recycled = user::Model { email: email.clone(), holding: user.holding + 1, ..user.clone() };
                    outbox::enqueue(&txn, &recycled, MessageKind::Welcome, &actor.login).await?;
                }
                audit::Entry::by(actor, Action::UserRecycled)
                    .domain(domain.id)
                    .target(entry.user_id)
                    .detail(serde_json::json!({ "email": email.is_some(), "welcome": entry.send_welcome }))
                    .from_addr(remote_addr.clone())
                    .record(&txn)
                    .await?;
                outcome.saved.push(entry.user_id);
            }
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

fn not_reset(user: &user::Model) -> FieldError {
    let message =
        format!("Extension {} is not waiting to be recycled (its status is {}).", user.extension, user.status.label());
    FieldError::new(RecycleField::Row.name(), message)
}
