//! Recycle Users: handing reset extensions to new people. `preview` gives the form's rows; `start` checks
//! each row on its own and saves the valid ones at once, in one transaction (it is not a job), each by
//! `apply`; the others come back with a message at each bad field, so the admin fixes those and loses
//! none of what was typed. `from_sheet` is the same for a spreadsheet's rows, at the command line.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::db::ids::AmongIds;
use crate::server::directory::users;
use crate::server::entities::{bulk_job_item, domain, user};
use crate::server::provisioning::holder::TokenHolder;
use crate::server::{bulk::progress, bulk::reach, mail::outbox};
use crate::shared::bulk::new_hires::{NewHire, NewHires, RowProblem};
use crate::shared::bulk::{ItemState, JobAction, RecycleEntry, RecycleField, RecycleOutcome, RecycleTargets};
use crate::shared::error::AppError;
use crate::shared::error::FieldError;
use crate::shared::mail::MessageKind;
use crate::shared::model::UserStatus;
use crate::shared::words::join_and;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, DatabaseTransaction, TransactionTrait};
use std::collections::{BTreeSet, HashMap};

/// The Recycle Users form's rows for the users `user_ids` names, if each may be recycled by the actor:
/// the same rules as a reset, and each user must have been reset ("Setup Required").
pub async fn preview(
    db: &DatabaseConnection,
    managed: &ManagedDomain,
    user_ids: &[i32],
) -> Result<RecycleTargets, AppError> {
    let domain = managed.domain();
    let users = reach::load(db, managed, user_ids, "recycle").await?;
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

/// The Recycle Users form's rows for the users reset job `id` reset (the Activity page's "Recycle
/// Users"), and the job's domain: those still waiting to be recycled and in no other job.
pub async fn preview_for_job(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
) -> Result<(String, RecycleTargets), AppError> {
    let (job, domain) = progress::visible_job(db, actor, id).await?;
    let managed = actor.manage(&domain.name, Some(domain.clone()))?;
    if !matches!(progress::action_of(&job)?, JobAction::Reset { .. }) {
        return Err(AppError::invalid("job", "Only the users of a reset can be recycled."));
    }
    let reset: Vec<i32> = bulk_job_item::Entity::find()
        .filter(bulk_job_item::Column::JobId.eq(job.id))
        .filter(bulk_job_item::Column::State.eq(ItemState::Done))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|item| item.user_id)
        .collect();
    let busy = reach::busy(db, reset.iter().copied()).await?;
    let waiting = users::in_extension_order(
        user::Entity::find()
            .filter(user::Column::Id.among(db.get_database_backend(), reset))
            .filter(user::Column::DomainId.eq(domain.id))
            .filter(user::Column::Status.eq(UserStatus::SetupRequired)),
    )
    .all(db)
    .await?;
    let users: Vec<(i32, String)> =
        waiting.into_iter().filter(|user| !busy.contains_key(&user.id)).map(|user| (user.id, user.extension)).collect();
    if users.is_empty() {
        return Err(AppError::Conflict(
            "None of this reset's users is waiting to be recycled any more: they were recycled or are in another bulk action."
                .into(),
        ));
    }
    Ok((domain.name.clone(), RecycleTargets { users, email_recommended: managed.domain().wants_email() }))
}

/// Who recycles: an admin in the portal (from their address), the operator at the server's command
/// line (`switchboard users recycle`), who has no account in the portal, or a domain's identity
/// provider (a new hire, or someone reactivated, over SCIM).
pub enum Recycler<'a> {
    Admin(&'a ManagedDomain, Option<String>),
    CommandLine(&'a domain::Model),
    Provisioning(&'a TokenHolder),
}

impl Recycler<'_> {
    fn domain(&self) -> &domain::Model {
        match self {
            Recycler::Admin(managed, _) => managed.domain(),
            Recycler::CommandLine(domain) => domain,
            Recycler::Provisioning(holder) => &holder.domain,
        }
    }

    fn actor(&self) -> Option<&Actor> {
        match self {
            Recycler::Admin(managed, _) => Some(managed.actor()),
            Recycler::CommandLine(_) | Recycler::Provisioning(_) => None,
        }
    }

    /// Who the audit log and the outbox name.
    fn login(&self) -> &str {
        match self {
            Recycler::Provisioning(holder) => &holder.label,
            _ => self.actor().map_or(audit::COMMAND_LINE, |actor| actor.login.as_str()),
        }
    }

    /// The audit entry of a recycle: the identity provider's is a provisioning change.
    fn audit(&self) -> audit::Entry {
        match self {
            Recycler::Admin(managed, addr) => {
                audit::Entry::by(managed.actor(), Action::UserRecycled).from_addr(addr.clone())
            }
            Recycler::CommandLine(_) => audit::Entry::cli(Action::UserRecycled),
            Recycler::Provisioning(holder) => audit::Entry::new(holder.label.clone(), None, Action::UserProvisioned),
        }
    }
}

/// Recycles the users the entries name: new name and email, no password and no voicemail PIN, status
/// "Password Required". Only users that have been reset ("Setup Required") can be recycled.
pub async fn start(
    db: &DatabaseConnection,
    by: &Recycler<'_>,
    entries: Vec<RecycleEntry>,
) -> Result<RecycleOutcome, AppError> {
    let domain = by.domain();
    let ids: Vec<i32> = entries.iter().map(|entry| entry.user_id).collect();
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err(AppError::invalid("users", "Each user can appear only once in the form."));
    }
    // The same rules as for a reset: the domain's users, within the actor's scope, not in a running job.
    let users: HashMap<i32, user::Model> = reach::load_in(db, domain, by.actor(), &ids, "recycle")
        .await?
        .into_iter()
        .map(|user| (user.id, user))
        .collect();

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
    for entry in valid {
        // `load_in` refused the whole request if any user was missing.
        let Some(user) = users.get(&entry.user_id) else { continue };
        if apply(&txn, by, user, &entry).await? {
            outcome.saved.push(entry.user_id);
        } else {
            outcome.rejected.push((entry.user_id, vec![not_reset(user)]));
        }
    }
    txn.commit().await?;
    Ok(outcome)
}

/// Hands `user`'s extension to the person `entry` names, in the caller's transaction, with the welcome
/// email and the audit entry; false if it is not waiting for a new holder any more (another admin
/// recycled or reset it since it was read).
pub(crate) async fn apply(
    txn: &DatabaseTransaction,
    by: &Recycler<'_>,
    user: &user::Model,
    entry: &RecycleEntry,
) -> Result<bool, DbErr> {
    let email = Some(entry.email.trim().to_lowercase()).filter(|email| !email.is_empty());
    let updated = user::Entity::update_many()
        .col_expr(user::Column::FirstName, Expr::value(entry.first_name.trim()))
        .col_expr(user::Column::LastName, Expr::value(entry.last_name.trim()))
        .col_expr(user::Column::Email, Expr::value(email.clone()))
        .col_expr(user::Column::PasswordHash, Expr::value(None::<String>))
        .col_expr(user::Column::VoicemailPinHash, Expr::value(None::<String>))
        .col_expr(user::Column::Status, Expr::value(UserStatus::PasswordRequired))
        .col_expr(user::Column::MustChangePassword, Expr::value(false))
        // A new holder: a new holding of the extension, and no session of an earlier one works.
        .col_expr(user::Column::Holding, Expr::col(user::Column::Holding).add(1))
        .col_expr(user::Column::SessionEpoch, Expr::col(user::Column::SessionEpoch).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user.id))
        // Checked again here: another admin may have recycled (or reset) it since we read it.
        .filter(user::Column::Status.eq(UserStatus::SetupRequired))
        .filter(user::Column::Holding.eq(user.holding))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    // The welcome email is queued with the change, in its transaction, for the new holding.
    if entry.send_welcome {
        let recycled = user::Model { email: email.clone(), holding: user.holding + 1, ..user.clone() };
        outbox::enqueue(txn, &recycled, MessageKind::Welcome, by.login()).await?;
    }
    by.audit()
        .domain(by.domain().id)
        .target(user.id)
        .detail(serde_json::json!({ "email": email.is_some(), "welcome": entry.send_welcome }))
        .record(txn)
        .await?;
    Ok(true)
}

fn not_reset(user: &user::Model) -> FieldError {
    let message =
        format!("Extension {} is not waiting to be recycled (its status is {}).", user.extension, user.status.label());
    FieldError::new(RecycleField::Row.name(), message)
}

/// What `from_sheet` did: the extensions recycled (in the sheet's order), how many of them were sent a
/// welcome email, and each refused row with why.
#[derive(Debug, Default)]
pub struct SheetOutcome {
    pub recycled: Vec<String>,
    pub welcomed: usize,
    pub refused: Vec<RowProblem>,
}

/// Recycles the users of `domain` that a sheet's rows name (`switchboard users recycle --file`), each
/// row checked as if typed into the form; with `send_welcome`, a welcome email to each row with an
/// address. Rows that cannot be saved are refused with the reason, and nothing is saved for them.
pub async fn from_sheet(
    db: &DatabaseConnection,
    domain: &domain::Model,
    text: &str,
    send_welcome: bool,
) -> Result<SheetOutcome, AppError> {
    let NewHires { rows, problems } = NewHires::parse(text);
    let mut outcome = SheetOutcome { refused: problems, ..SheetOutcome::default() };
    let users: HashMap<String, user::Model> = user::Entity::find()
        .filter(user::Column::DomainId.eq(domain.id))
        .filter(user::Column::Extension.is_in(rows.iter().map(|row| row.extension.clone())))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.extension.clone(), user))
        .collect();
    let busy = reach::busy(db, users.values().map(|user| user.id)).await?;
    let (mut entries, mut rows_of) = (Vec::new(), HashMap::new());
    for row in rows {
        let refuse = |why: String| RowProblem { line: row.line, extension: Some(row.extension.clone()), message: why };
        let Some(user) = users.get(&row.extension) else {
            outcome.refused.push(refuse(format!("extension {} is not a user of {}.", row.extension, domain.name)));
            continue;
        };
        if let Some(busy) = busy.get(&user.id) {
            outcome.refused.push(refuse(format!("extension {}: {}", row.extension, busy.reason())));
            continue;
        }
        let send_welcome = send_welcome && !row.email.is_empty();
        entries.push(RecycleEntry {
            user_id: user.id,
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            email: row.email.clone(),
            send_welcome,
        });
        rows_of.insert(user.id, (row, send_welcome));
    }
    if !entries.is_empty() {
        let saved = start(db, &Recycler::CommandLine(domain), entries).await?;
        for (user_id, problems) in saved.rejected {
            let Some((row, _)) = rows_of.get(&user_id) else { continue };
            let why: Vec<String> = problems.into_iter().map(|problem| problem.message).collect();
            let message = format!("extension {}: {}", row.extension, why.join(" "));
            outcome.refused.push(RowProblem { line: row.line, extension: Some(row.extension.clone()), message });
        }
        let mut recycled: Vec<&(NewHire, bool)> = saved.saved.iter().filter_map(|id| rows_of.get(id)).collect();
        recycled.sort_by_key(|(row, _)| row.line);
        outcome.welcomed = recycled.iter().filter(|(_, welcome)| *welcome).count();
        outcome.recycled = recycled.into_iter().map(|(row, _)| row.extension.clone()).collect();
    }
    outcome.refused.sort_by_key(|problem| problem.line);
    Ok(outcome)
}
