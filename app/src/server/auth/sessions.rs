//! Server-side sessions. The browser holds a random 256-bit token in an HttpOnly cookie that lasts as
//! long as the browser session; the database holds only its SHA-256, so every replica on the database
//! knows every session and a copy of the table signs nobody in. A session ends after a while unused
//! (`SessionLimits::idle`, renewed by every request) and a while after sign-in whatever happens
//! (`SessionLimits::max`).
//!
//! A session also belongs to the user as they were when their password was checked: it carries the
//! user's session epoch of that moment, which everything that signs a user out everywhere moves on
//! (`end_all`: a reset, a recycle, a forced password reset, a new password). A sign-in that read the
//! user before a reset and wrote its session after it therefore makes a session that never works,
//! on any replica: the reset cannot be outrun.

use crate::server::auth::authz::Actor;
use crate::server::auth::tokens;
use crate::server::db::ids::AmongIds;
use crate::server::entities::{domain, session, user};
use crate::server::settings::{span, SessionLimits, Settings};
use crate::shared::model::Scope;
use chrono::{DateTime, Utc};
use cookie::{Cookie, SameSite};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, FromQueryResult, JoinType, QuerySelect};
use std::collections::HashMap;
use std::net::IpAddr;

const COOKIE_NAME: &str = "switchboard_session";
/// Over https the cookie carries the `__Host-` prefix: browsers then take it only if it is `Secure`, for
/// the whole site and from this host, so no other host or plain-http page can plant one.
const HOST_COOKIE_NAME: &str = "__Host-switchboard_session";
/// A session's last use is written at most this often (and more often only with a shorter idle
/// limit): enough to keep it alive, without a database write on every request.
const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// What the database keeps of a browser's description of itself.
const MAX_USER_AGENT: usize = 255;

/// Who is signing in, from where, and with which session their browser came.
pub struct Origin {
    pub addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The session token the browser sent, if any: signing in ends that session, whoever's it was.
    pub presented: Option<String>,
}

impl Origin {
    pub fn remote_addr(&self) -> Option<String> {
        self.addr.map(|addr| addr.to_string())
    }
}

/// Starts a session for `user_id` in their session epoch `epoch` (as read with the password that was
/// checked), ending the one the browser presented; returns the token for the cookie.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: i32,
    epoch: i32,
    origin: Origin,
    limits: &SessionLimits,
) -> Result<String, DbErr> {
    let token = tokens::new_token();
    let now = Utc::now();
    // Housekeeping on the rare write path keeps the table small without a timer.
    session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - span(limits.idle))),
        )
        .exec(db)
        .await?;
    if let Some(presented) = &origin.presented {
        end(db, presented).await?;
    }
    session::ActiveModel {
        id: Set(tokens::digest(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + span(limits.max)),
        last_seen_at: Set(now),
        remote_addr: Set(origin.remote_addr()),
        user_agent: Set(origin.user_agent.map(|agent| agent.chars().take(MAX_USER_AGENT).collect())),
        epoch: Set(epoch),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Starts a session for `user_id` as they are now, in their current session epoch: for a session that
/// follows no password check (a password just set through a link, in the transaction that set it).
pub async fn start_now(
    db: &impl ConnectionTrait,
    user_id: i32,
    origin: Origin,
    limits: &SessionLimits,
) -> Result<String, DbErr> {
    let epoch: i32 = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::SessionEpoch)
        .into_tuple()
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {user_id}")))?;
    start(db, user_id, epoch, origin, limits).await
}

#[derive(FromQueryResult)]
struct ActorRow {
    session_id: String,
    user_id: i32,
    login: String,
    scope: Scope,
    domain_id: i32,
    reseller_id: i32,
    holding: i32,
    must_change_password: bool,
    last_seen_at: DateTime<Utc>,
}

impl From<ActorRow> for Actor {
    fn from(row: ActorRow) -> Self {
        Actor {
            user_id: row.user_id,
            login: row.login,
            scope: row.scope,
            domain_id: row.domain_id,
            reseller_id: row.reseller_id,
            holding: row.holding,
            must_change_password: row.must_change_password,
        }
    }
}

/// The user a live session token belongs to, if any: the session has not run out, and the user has not
/// been signed out everywhere since it was made. Using a session keeps it alive.
pub async fn actor(db: &DatabaseConnection, token: &str, limits: &SessionLimits) -> Result<Option<Actor>, DbErr> {
    let mut found = actors(db, std::slice::from_ref(&token.to_string()), limits).await?;
    Ok(found.remove(token))
}

/// `actor` for many tokens at once, in one query (the progress streams of a replica look at their
/// sessions together): the users of those that are live, by token.
pub async fn actors(
    db: &DatabaseConnection,
    tokens: &[String],
    limits: &SessionLimits,
) -> Result<HashMap<String, Actor>, DbErr> {
    let now = Utc::now();
    let by_digest: HashMap<String, &String> = tokens.iter().map(|token| (tokens::digest(token), token)).collect();
    let rows = session::Entity::find()
        .filter(session::Column::Id.is_in(by_digest.keys().cloned()))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - span(limits.idle)))
        .filter(Expr::col((session::Entity, session::Column::Epoch)).equals((user::Entity, user::Column::SessionEpoch)))
        .select_only()
        .column_as(session::Column::Id, "session_id")
        .column_as(user::Column::Id, "user_id")
        .column(user::Column::Login)
        .column(user::Column::Scope)
        .column(user::Column::DomainId)
        .column(user::Column::MustChangePassword)
        .column(user::Column::Holding)
        .column(domain::Column::ResellerId)
        .column(session::Column::LastSeenAt)
        .join(JoinType::InnerJoin, session::Relation::User.def())
        .join(JoinType::InnerJoin, user::Relation::Domain.def())
        .into_model::<ActorRow>()
        .all(db)
        .await?;
    let renew = span(RENEW_EVERY.min(limits.idle / 4));
    let stale: Vec<String> =
        rows.iter().filter(|row| now - row.last_seen_at >= renew).map(|row| row.session_id.clone()).collect();
    if !stale.is_empty() {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.is_in(stale))
            .exec(db)
            .await?;
    }
    Ok(rows
        .into_iter()
        .filter_map(|row| Some(((*by_digest.get(&row.session_id)?).clone(), Actor::from(row))))
        .collect())
}

pub async fn end(db: &impl ConnectionTrait, token: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(tokens::digest(token)).exec(db).await.map(|_| ())
}

/// Signs the users `user_ids` out everywhere, except in the session of `keep` (a token), if given: their
/// session epoch moves on (`next_epoch`), so that no session made before now works again, not even one
/// being made by a sign-in that checked their password a moment ago; the sessions themselves are
/// deleted too.
pub async fn end_all(db: &impl ConnectionTrait, user_ids: &[i32], keep: Option<&str>) -> Result<(), DbErr> {
    let ids = || user_ids.iter().copied();
    let (column, moved_on) = next_epoch();
    let backend = db.get_database_backend();
    user::Entity::update_many()
        .col_expr(column, moved_on)
        .filter(user::Column::Id.among(backend, ids()))
        .exec(db)
        .await?;
    let mut delete = session::Entity::delete_many().filter(session::Column::UserId.among(backend, ids()));
    if let Some(keep) = keep {
        let kept = tokens::digest(keep);
        // The kept session moves on with its user.
        session::Entity::update_many()
            .col_expr(session::Column::Epoch, Expr::col(session::Column::Epoch).add(1))
            .filter(session::Column::Id.eq(kept.clone()))
            .exec(db)
            .await?;
        delete = delete.filter(session::Column::Id.ne(kept));
    }
    delete.exec(db).await.map(|_| ())
}

/// `end_all`'s change to a user's row, for a caller that updates the users' rows anyway (a reset) to
/// make in the same statement, before `delete_all`.
pub fn next_epoch() -> (user::Column, sea_orm::sea_query::SimpleExpr) {
    (user::Column::SessionEpoch, Expr::col(user::Column::SessionEpoch).add(1))
}

/// Deletes every session of `user_ids`: with `next_epoch`, what `end_all` does.
pub async fn delete_all(db: &impl ConnectionTrait, user_ids: &[i32]) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.among(db.get_database_backend(), user_ids.iter().copied()))
        .exec(db)
        .await
        .map(|_| ())
}

/// The session cookie's name for this portal.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.https() {
        HOST_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// The cookie that carries `token`: for the browser session only (no expiry of its own), and `Secure`
/// when the portal is served over https or this browser came over it.
pub fn cookie(settings: &Settings, token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((cookie_name(settings), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure || settings.https())
        .build()
}

/// The cookie that tells the browser to forget the session.
pub fn removal_cookie(settings: &Settings, secure: bool) -> Cookie<'static> {
    let mut removal = cookie(settings, String::new(), secure);
    removal.make_removal();
    removal
}
