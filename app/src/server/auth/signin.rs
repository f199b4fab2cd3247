//! Signing in and out: checking a login and password, starting and ending sessions, and the audit
//! trail of both. A wrong login and a wrong password look the same from outside, in words and in time;
//! too many wrong ones lock the login (or the address they come from) for a while (`throttle`).

use crate::server::audit::{self, Action};
use crate::server::auth::authz::Actor;
use crate::server::auth::passwords;
use crate::server::auth::sessions::{self, Origin};
use crate::server::auth::throttle::{self, Attempt};
use crate::server::entities::{domain, user};
use crate::server::settings::Settings;
use crate::shared::error::AppError;
use crate::shared::model::{Me, UserStatus};
use crate::shared::validate::{MAX_LOGIN_LEN, MAX_PASSWORD_LEN};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, Condition, QueryOrder, QuerySelect};

/// How many accounts one email address may sign in to (addresses are not unique: one person may hold
/// several extensions). Every sign-in spends exactly this many password checks, whatever the login
/// matches, so that its time tells nothing.
const MAX_EMAIL_MATCHES: usize = 3;

/// Checks `login` (extension@domain, or an email address) and `password`; on success starts a session
/// (ending the one the browser came with) and returns its token with the user.
pub async fn sign_in(
    db: &DatabaseConnection,
    settings: &Settings,
    queue: &passwords::Queue,
    login: &str,
    password: &str,
    origin: Origin,
) -> Result<(String, Me), AppError> {
    let login = login.trim().to_lowercase();
    if login.is_empty() || password.is_empty() {
        return Err(AppError::InvalidCredentials);
    }
    if login.chars().count() > MAX_LOGIN_LEN {
        return Err(AppError::invalid("login", format!("A login has at most {MAX_LOGIN_LEN} characters.")));
    }
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(AppError::invalid("password", format!("A password has at most {MAX_PASSWORD_LEN} characters.")));
    }
    // A place in the queue for the password checks comes first: when it is full, nothing else is done.
    let _place = queue.admit()?;
    let candidates = candidates(db, &login).await?;
    let accounts: Vec<(i32, String)> = candidates.iter().map(|user| (user.id, user.login.clone())).collect();
    let attempt = Attempt::new(&login, &accounts, origin.addr);
    throttle::check(db, &attempt).await?;
    let reservation = throttle::reserve(db, &settings.signin, attempt).await?;
    let hashes = candidates.iter().map(|candidate| candidate.password_hash.clone()).collect();
    let matched = passwords::first_match(password.to_string(), hashes, MAX_EMAIL_MATCHES).await?;
    let Some(user) = matched.and_then(|i| candidates.into_iter().nth(i)) else {
        audit::Entry::anonymous(&login, Action::SignInFailed).from_addr(origin.remote_addr()).record(db).await?;
        reservation.failed(db, &settings.signin).await?;
        return Err(AppError::InvalidCredentials);
    };
    reservation.succeeded(db, user.id).await?;
    let remote_addr = origin.remote_addr();
    // In the epoch read with the password just checked: if a reset has signed the user out everywhere
    // since, this session is born dead.
    let token = sessions::start(db, user.id, user.session_epoch, origin, &settings.sessions).await?;
    audit::Entry::by_user(user.id, &user.login, Action::SignIn)
        .domain(user.domain_id)
        .from_addr(remote_addr)
        .record(db)
        .await?;
    let me = me_of(db, user).await?;
    Ok((token, me))
}

/// The accounts `login` may open, at most `MAX_EMAIL_MATCHES` of them, in a fixed order: the account
/// whose own login it is, then those with a password, oldest first. So an admin who gives a few
/// extensions someone's email address cannot crowd that person's own account out of their sign-in.
async fn candidates(db: &DatabaseConnection, login: &str) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::Login.eq(login))
                // Emails are stored in lower case (`users::create`), so the index serves this.
                .add(user::Column::Email.eq(login)),
        )
        // A reset extension waits for a new holder: its former holder's password no longer opens it.
        .filter(user::Column::Status.ne(UserStatus::SetupRequired))
        .order_by_desc(Expr::col(user::Column::Login).eq(login))
        .order_by_desc(Expr::col(user::Column::PasswordHash).is_not_null())
        .order_by_asc(user::Column::Id)
        .limit(MAX_EMAIL_MATCHES as u64)
        .all(db)
        .await
}

/// Ends the session of `token`, if it is live, and records who signed out.
pub async fn sign_out(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    remote_addr: Option<String>,
) -> Result<(), AppError> {
    if let Some(actor) = sessions::actor(db, token, &settings.sessions).await? {
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
