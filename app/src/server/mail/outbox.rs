//! The outbox: a message is a row written in the same transaction as the change that asks for it, so
//! that a crash can neither lose it nor send it for a change that did not happen. `mailer` sends the
//! rows; this module writes them, withdraws them when their extension is reset, and shows them to
//! admins. A message belongs to one holding of its extension: it never goes out to anyone else.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::Actor;
use crate::server::db::ids::AmongIds;
use crate::server::directory::domains;
use crate::server::entities::{domain, outbox_message, user};
use crate::server::time;
use crate::shared::error::AppError;
use crate::shared::mail::{MessageKind, MessageState, OutboxRow};
use crate::shared::model::UserStatus;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder, QuerySelect};

/// How many messages the Outbox page lists.
const LISTED: u64 = 200;

/// Queues a `kind` message to `user` (who has an email address), on `db`: the caller's transaction.
/// Returns false, queueing nothing, when the user has no address.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    user: &user::Model,
    kind: MessageKind,
    requester: &str,
) -> Result<bool, DbErr> {
    let Some(recipient) = user.email.clone() else { return Ok(false) };
    let now = Utc::now();
    outbox_message::ActiveModel {
        domain_id: Set(user.domain_id),
        user_id: Set(Some(user.id)),
        kind: Set(kind),
        recipient: Set(recipient),
        subject: Set(kind.subject().to_string()),
        state: Set(MessageState::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        requester: Set(Some(requester.to_string())),
        created_at: Set(now),
        sent_at: Set(None),
        holding: Set(user.holding),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// Withdraws the queued and failed messages of `user_ids`, whose extensions are being reset, on `db`:
/// the reset's transaction. A message being sent right now loses its lease, so its outcome is not
/// recorded over the withdrawal (and its link is forgotten by the same reset).
pub async fn withdraw(db: &impl ConnectionTrait, user_ids: &[i32]) -> Result<(), DbErr> {
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::State, Expr::value(MessageState::Withdrawn))
        .col_expr(outbox_message::Column::LastError, Expr::value(WITHDRAWN_BY_RESET))
        .col_expr(outbox_message::Column::LeaseOwner, Expr::value(None::<String>))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .filter(outbox_message::Column::UserId.among(db.get_database_backend(), user_ids.iter().copied()))
        .filter(outbox_message::Column::State.is_in([MessageState::Queued, MessageState::Failed]))
        .exec(db)
        .await
        .map(|_| ())
}

const WITHDRAWN_BY_RESET: &str = "The extension was reset.";

/// Why `message` must not go out (any more) to `user`, the user it is about, if they still exist: it
/// was for an earlier holder of the extension, the extension waits for a new holder, the address is
/// no longer the user's, or what it asks for is done.
pub fn stale(message: &outbox_message::Model, user: Option<&user::Model>) -> Option<&'static str> {
    let Some(user) = user else { return Some("The user no longer exists.") };
    if message.holding != user.holding {
        Some("The extension has changed hands since the message was queued.")
    } else if user.status == UserStatus::SetupRequired {
        Some("The extension was reset before the message was sent.")
    } else if user.email.as_deref() != Some(message.recipient.as_str()) {
        Some("The address is no longer the user's email address.")
    } else if message.kind == MessageKind::PasswordReset && !user.must_change_password {
        Some("Not needed any more: the user has chosen a new password.")
    } else {
        None
    }
}

/// The latest messages of the domains in the actor's scope, newest first.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<OutboxRow>, AppError> {
    actor.require_admin()?;
    let Some(in_scope) = actor.domain_scope().condition(outbox_message::Column::DomainId) else {
        return Ok(Vec::new());
    };
    let messages = outbox_message::Entity::find()
        .find_also_related(domain::Entity)
        .filter(in_scope)
        .order_by_desc(outbox_message::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;
    let user_ids: Vec<i32> = messages.iter().filter_map(|(message, _)| message.user_id).collect();
    let extensions: std::collections::HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.among(db.get_database_backend(), user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.extension))
        .collect();
    Ok(messages
        .into_iter()
        .map(|(message, domain)| OutboxRow {
            id: message.id,
            domain: domain.map(|domain| domain.name).unwrap_or_default(),
            extension: message.user_id.and_then(|id| extensions.get(&id).cloned()),
            recipient: message.recipient,
            subject: message.subject,
            state: message.state,
            attempts: message.attempts,
            last_error: message.last_error,
            queued: time::to_minute(message.created_at),
            sent: message.sent_at.map(time::to_minute),
            next_attempt: (message.state == MessageState::Queued && message.attempts > 0)
                .then(|| time::to_minute(message.next_attempt_at)),
            requester: message.requester,
        })
        .collect())
}

/// Puts failed message `id` back in the queue, to be sent at once, if the actor may see its domain.
pub async fn retry(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    remote_addr: Option<String>,
) -> Result<(), AppError> {
    let (message, domain) = domains::row_in_scope::<outbox_message::Entity>(db, actor, id, "message").await?;
    if message.state != MessageState::Failed {
        return Err(AppError::Conflict(format!(
            "Only a failed message can be retried; this one is {}.",
            message.state.label().to_lowercase()
        )));
    }
    let user = match message.user_id {
        Some(user_id) => user::Entity::find_by_id(user_id).one(db).await?,
        None => None,
    };
    if let Some(reason) = stale(&message, user.as_ref()) {
        return Err(AppError::Conflict(format!("This message cannot be sent any more. {reason}")));
    }
    let updated = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::State, Expr::value(MessageState::Queued))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(Utc::now()))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::State.eq(MessageState::Failed))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(AppError::Conflict("Someone else has just retried this message.".into()));
    }
    let mut entry = audit::Entry::by(actor, Action::EmailRetried)
        .domain(domain.id)
        .detail(serde_json::json!({ "message": id, "recipient": message.recipient }))
        .from_addr(remote_addr);
    if let Some(user_id) = message.user_id {
        entry = entry.target(user_id);
    }
    entry.record(db).await?;
    Ok(())
}
