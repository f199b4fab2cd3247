//! Choosing a password: with a set-password link (a new holder's first sign-in, or after a forced
//! reset), or on the Change Password page that a user whose reset was forced sees before anything else.
//! Either way the user ends up Active and signed in, every older link stops working and every other
//! session of the user ends.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::Actor;
use crate::server::auth::sessions::{self, Origin};
use crate::server::entities::{domain, password_link, user};
use crate::server::settings::Settings;
use crate::server::{accounts::links, auth::passwords, auth::tokens};
use crate::shared::accounts::{LinkHolder, NewPassword, PinRule, PASSWORD_FIELD};
use crate::shared::error::{AppError, FieldError};
use crate::shared::model::{full_name, UserStatus};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, TransactionTrait};

/// Who the link `token` is for, if it can still be used.
pub async fn link_holder(db: &DatabaseConnection, token: &str) -> Result<LinkHolder, AppError> {
    let user = links::holder(db, token).await?;
    let domain = domain::Entity::find_by_id(user.domain_id).one(db).await?;
    Ok(LinkHolder {
        name: full_name(&user.first_name, &user.last_name),
        domain: domain.map(|domain| domain.name).unwrap_or_default(),
        has_pin: user.voicemail_pin_hash.is_some(),
        login: user.login,
        extension: user.extension,
    })
}

/// Every broken rule of the form, each at its field: the password's by the server's complete rules
/// (`passwords::problems`, as for the command line), the others as the browser checks them too.
fn problems(user: &user::Model, new: &NewPassword, pin: PinRule) -> Vec<FieldError> {
    let password = FieldError::each(PASSWORD_FIELD, passwords::problems(&new.password, &user.login, &user.extension));
    let others =
        new.problems(&user.login, &user.extension, pin).into_iter().filter(|problem| problem.field != PASSWORD_FIELD);
    password.chain(others).collect()
}

/// Sets the password (and PIN) of the link's holder; returns the token of their new session.
pub async fn set_password(
    db: &DatabaseConnection,
    settings: &Settings,
    token: &str,
    new: NewPassword,
    origin: Origin,
) -> Result<String, AppError> {
    let user = links::holder(db, token).await?;
    AppError::unless_any(problems(&user, &new, PinRule::for_holder(user.voicemail_pin_hash.is_some())))?;
    let password_hash = passwords::hash(new.password).await?;
    // A blank PIN keeps the user's PIN (only allowed when they have one: `problems`).
    let pin_hash =
        if new.pin.is_empty() { user.voicemail_pin_hash.clone() } else { Some(passwords::hash(new.pin).await?) };
    let remote_addr = origin.remote_addr();
    let txn = db.begin().await?;
    // The link is used here, once: of two submissions racing, only one finds it unused.
    let used = password_link::Entity::update_many()
        .col_expr(password_link::Column::UsedAt, Expr::value(Utc::now()))
        .filter(password_link::Column::Id.eq(tokens::digest(token)))
        .filter(password_link::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected == 0 {
        return Err(links::holder(db, token).await.err().unwrap_or(AppError::Internal));
    }
    links::use_up(&txn, user.id).await?;
    // The extension may have been reset or recycled since the link was read: then nothing is saved.
    if !save_password(&txn, &user, password_hash, pin_hash).await? {
        return Err(links::not_valid());
    }
    sessions::end_all(&txn, &[user.id], None).await?;
    let session = sessions::start_now(&txn, user.id, origin, &settings.sessions).await?;
    audit::Entry::by_user(user.id, &user.login, Action::PasswordSet)
        .domain(user.domain_id)
        .target(user.id)
        .from_addr(remote_addr)
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(session)
}

/// The forced password change of the signed-in `actor`, whose session is `session`: the other
/// sessions end, this one goes on.
pub async fn change_password(
    db: &DatabaseConnection,
    actor: &Actor,
    session: &str,
    new: NewPassword,
    remote_addr: Option<String>,
) -> Result<(), AppError> {
    let user = user::Entity::find_by_id(actor.user_id).one(db).await?.ok_or(AppError::NotSignedIn)?;
    if !user.must_change_password {
        return Err(AppError::Conflict("Your password does not need to be changed.".into()));
    }
    let mut problems = problems(&user, &new, PinRule::NotAsked);
    if problems.is_empty() && passwords::verify(new.password.clone(), user.password_hash.clone()).await? {
        problems.push(FieldError::new(PASSWORD_FIELD, "Choose a password different from your current one."));
    }
    AppError::unless_any(problems)?;
    let password_hash = passwords::hash(new.password).await?;
    let txn = db.begin().await?;
    links::use_up(&txn, user.id).await?;
    // A reset since we read the user has signed them out: nothing is saved.
    if !save_password(&txn, &user, password_hash, user.voicemail_pin_hash.clone()).await? {
        return Err(AppError::NotSignedIn);
    }
    sessions::end_all(&txn, &[user.id], Some(session)).await?;
    audit::Entry::by(actor, Action::PasswordChanged).domain(user.domain_id).from_addr(remote_addr).record(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The user's new secrets; they are Active from now on. Saved only while the extension is still in
/// the holding `user` was read in and not reset since; returns whether it was.
async fn save_password(
    db: &impl ConnectionTrait,
    user: &user::Model,
    password_hash: String,
    pin_hash: Option<String>,
) -> Result<bool, DbErr> {
    let saved = user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(user::Column::VoicemailPinHash, Expr::value(pin_hash))
        .col_expr(user::Column::Status, Expr::value(UserStatus::Active))
        .col_expr(user::Column::MustChangePassword, Expr::value(false))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user.id))
        .filter(user::Column::Holding.eq(user.holding))
        .filter(user::Column::Status.ne(UserStatus::SetupRequired))
        .exec(db)
        .await?;
    Ok(saved.rows_affected == 1)
}
