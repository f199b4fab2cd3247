//! Set-password links: a random 256-bit token in the link, its SHA-256 in `password_links`. A link
//! works once, for 72 hours, and only for the holding of the extension it was made for: a reset or a
//! recycle starts a new holding (`user::Model::holding`), and the links of earlier ones stop working
//! (a reset also forgets them, `forget`).

use crate::server::auth::tokens;
use crate::server::db::ids::AmongIds;
use crate::server::entities::{password_link, user};
use crate::shared::error::AppError;
use crate::shared::mail::MessageKind;
use crate::shared::model::UserStatus;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set};

/// How long a link works after it was sent.
pub const LIFETIME: Duration = Duration::hours(72);

/// A new link for `holding` of the extension of `user_id`; returns its token, which exists nowhere
/// else after the message is sent. (It works only while that is the extension's present holding.)
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: i32,
    holding: i32,
    purpose: MessageKind,
) -> Result<String, DbErr> {
    let token = tokens::new_token();
    let now = Utc::now();
    password_link::ActiveModel {
        id: Set(tokens::digest(&token)),
        user_id: Set(user_id),
        purpose: Set(purpose),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        used_at: Set(None),
        holding: Set(holding),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Withdraws a link whose message was not sent.
pub async fn withdraw(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    password_link::Entity::delete_by_id(tokens::digest(token)).exec(db).await.map(|_| ())
}

/// Forgets every link of `user_ids` (their extensions were reset: the links were for someone else).
pub async fn forget(db: &impl ConnectionTrait, user_ids: &[i32]) -> Result<(), DbErr> {
    password_link::Entity::delete_many()
        .filter(password_link::Column::UserId.among(db.get_database_backend(), user_ids.iter().copied()))
        .exec(db)
        .await
        .map(|_| ())
}

/// Marks every unused link of `user_id` used: once a password is chosen, no older link may change it.
pub async fn use_up(db: &impl ConnectionTrait, user_id: i32) -> Result<(), DbErr> {
    password_link::Entity::update_many()
        .col_expr(password_link::Column::UsedAt, Expr::value(Utc::now()))
        .filter(password_link::Column::UserId.eq(user_id))
        .filter(password_link::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map(|_| ())
}

const ASK_AGAIN: &str = "Ask your administrator to send you a new link.";

/// The answer for a link that does not exist, or no longer leads anywhere: to whoever holds it, a link
/// of an earlier holding of the extension is simply not valid.
pub fn not_valid() -> AppError {
    AppError::NotFound(format!(
        "This link is not valid. Check that you opened the whole link from the email. {ASK_AGAIN}"
    ))
}

/// The user a link's `token` lets choose a password, if the link can still be used; otherwise why not,
/// in words for the person holding it.
pub async fn holder(db: &impl ConnectionTrait, token: &str) -> Result<user::Model, AppError> {
    if token.is_empty() || token.len() > 64 {
        return Err(not_valid());
    }
    let (link, user) = password_link::Entity::find_by_id(tokens::digest(token))
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .ok_or_else(not_valid)?;
    // Made for an earlier holder, or the extension was reset since and waits for a new one.
    let user = user
        .filter(|user| user.holding == link.holding && user.status != UserStatus::SetupRequired)
        .ok_or_else(not_valid)?;
    if link.used_at.is_some() {
        return Err(AppError::Gone(format!(
            "This link has already been used. If you chose your password with it, log in with that password. {ASK_AGAIN}"
        )));
    }
    if link.expires_at <= Utc::now() {
        return Err(AppError::Gone(format!(
            "This link has expired: links work for {} hours after they are sent. {ASK_AGAIN}",
            LIFETIME.num_hours()
        )));
    }
    Ok(user)
}
