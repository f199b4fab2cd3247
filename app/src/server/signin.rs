//! Signing in and out: checking a login and password, starting and ending sessions, and the audit
//! trail of both. A wrong login and a wrong password look the same from outside, in words and in time.

use super::audit::{self, Action};
use super::authz::Actor;
use super::entities::{domain, user};
use super::passwords;
use super::sessions::{self, Origin};
use crate::error::AppError;
use crate::model::{Me, UserStatus};
use sea_orm::{prelude::*, Condition, QuerySelect};

/// How many accounts one email address may match; each is tried, as addresses are not unique.
const MAX_EMAIL_MATCHES: u64 = 5;

/// Checks `login` (extension@domain, or an email address) and `password`; on success starts a session
/// and returns its token with the user.
pub async fn sign_in(
    db: &DatabaseConnection,
    login: &str,
    password: &str,
    origin: Origin,
) -> Result<(String, Me), AppError> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || password.is_empty() {
        return Err(AppError::InvalidCredentials);
    }
    let candidates = user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Login.eq(&login))
                // Emails are stored in lower case (`users::create`), so the index serves this.
                .add(user::Column::Email.eq(&login)),
        )
        // A reset extension waits for a new holder: its former holder's password no longer opens it.
        .filter(user::Column::Status.ne(UserStatus::SetupRequired))
        .limit(MAX_EMAIL_MATCHES)
        .all(db)
        .await?;
    let mut signed_in = None;
    for candidate in candidates.iter() {
        if passwords::verify(password.to_string(), candidate.password_hash.clone()).await {
            signed_in = Some(candidate.clone());
            break;
        }
    }
    if candidates.is_empty() {
        // Spend the time of one check so that a missing login answers no faster than a wrong password.
        passwords::verify(password.to_string(), None).await;
    }
    let Some(user) = signed_in else {
        audit::Entry::anonymous(&login, Action::SignInFailed).from_addr(origin.remote_addr).record(db).await?;
        return Err(AppError::InvalidCredentials);
    };
    let remote_addr = origin.remote_addr.clone();
    let token = sessions::start(db, user.id, origin).await?;
    audit::Entry::by_user(user.id, &user.login, Action::SignIn)
        .domain(user.domain_id)
        .from_addr(remote_addr)
        .record(db)
        .await?;
    let me = me_of(db, user).await?;
    Ok((token, me))
}

/// Ends the session of `token`, if it is live, and records who signed out.
pub async fn sign_out(db: &DatabaseConnection, token: &str, remote_addr: Option<String>) -> Result<(), AppError> {
    if let Some(actor) = sessions::actor(db, token).await? {
        sessions::end(db, token).await?;
        audit::Entry::by(&actor, Action::SignOut).domain(actor.domain_id).from_addr(remote_addr).record(db).await?;
    }
    Ok(())
}

/// The signed-in user as the pages show them.
pub async fn me(db: &DatabaseConnection, actor: &Actor) -> Result<Me, AppError> {
    let user = user::Entity::find_by_id(actor.user_id).one(db).await?.ok_or(AppError::NotSignedIn)?;
    me_of(db, user).await
}

async fn me_of(db: &DatabaseConnection, user: user::Model) -> Result<Me, AppError> {
    let domain = domain::Entity::find_by_id(user.domain_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal(format!("user {} has no domain", user.id)))?;
    Ok(Me {
        id: user.id,
        login: user.login,
        extension: user.extension,
        first_name: user.first_name,
        last_name: user.last_name,
        email: user.email,
        scope: user.scope,
        status: user.status,
        domain: domain.name,
        must_change_password: user.must_change_password,
    })
}
