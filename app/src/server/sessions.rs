//! Server-side sessions. The browser holds a random 256-bit token in an HttpOnly cookie; the
//! database holds only its SHA-256, so every replica on the database knows every session and a copy
//! of the table signs nobody in.

use super::authz::Actor;
use super::entities::{domain, session, user};
use super::tokens;
use crate::model::Scope;
use chrono::{Duration, Utc};
use cookie::{Cookie, SameSite};
use sea_orm::{prelude::*, ActiveValue::Set, FromQueryResult, JoinType, QuerySelect};

pub const COOKIE_NAME: &str = "switchboard_session";
/// A session ends this long after sign-in, used or not.
pub const LIFETIME: Duration = Duration::hours(12);

/// Who is signing in and from where, as kept with the session.
pub struct Origin {
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
}

/// Starts a session for `user_id` and returns the token for the cookie.
pub async fn start(db: &impl ConnectionTrait, user_id: i32, origin: Origin) -> Result<String, DbErr> {
    let token = tokens::new_token();
    let now = Utc::now();
    // Housekeeping on the rare write path keeps the table small without a timer.
    session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(now)).exec(db).await?;
    session::ActiveModel {
        id: Set(tokens::digest(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + LIFETIME),
        remote_addr: Set(origin.remote_addr),
        user_agent: Set(origin.user_agent.map(|agent| agent.chars().take(255).collect())),
    }
    .insert(db)
    .await?;
    Ok(token)
}

#[derive(FromQueryResult)]
struct ActorRow {
    user_id: i32,
    login: String,
    scope: Scope,
    domain_id: i32,
    reseller_id: i32,
    must_change_password: bool,
}

/// The user a live session token belongs to, if any.
pub async fn actor(db: &DatabaseConnection, token: &str) -> Result<Option<Actor>, DbErr> {
    let row = session::Entity::find_by_id(tokens::digest(token))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .select_only()
        .column_as(user::Column::Id, "user_id")
        .column(user::Column::Login)
        .column(user::Column::Scope)
        .column(user::Column::DomainId)
        .column(user::Column::MustChangePassword)
        .column(domain::Column::ResellerId)
        .join(JoinType::InnerJoin, session::Relation::User.def())
        .join(JoinType::InnerJoin, user::Relation::Domain.def())
        .into_model::<ActorRow>()
        .one(db)
        .await?;
    Ok(row.map(|row| Actor {
        user_id: row.user_id,
        login: row.login,
        scope: row.scope,
        domain_id: row.domain_id,
        reseller_id: row.reseller_id,
        must_change_password: row.must_change_password,
    }))
}

pub async fn end(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(tokens::digest(token)).exec(db).await.map(|_| ())
}

/// Ends every session of the users `user_ids` except the one of `keep` (a token), if given.
pub async fn end_all(db: &impl ConnectionTrait, user_ids: &[i32], keep: Option<&str>) -> Result<(), DbErr> {
    let mut delete = session::Entity::delete_many().filter(session::Column::UserId.is_in(user_ids.iter().copied()));
    if let Some(keep) = keep {
        delete = delete.filter(session::Column::Id.ne(tokens::digest(keep)));
    }
    delete.exec(db).await.map(|_| ())
}

/// The cookie that carries `token`. `secure` when the portal is served over https.
pub fn cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE_NAME, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(LIFETIME.num_seconds()))
        .build()
}

/// The cookie that tells the browser to forget the session.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut removal = cookie(String::new(), secure);
    removal.make_removal();
    removal
}
