//! The people of a domain as its identity provider sees them, and what each change to one does to the
//! phone system. A person is one holding of an extension (`user::Model::holding`):
//! - every current holder is one, those made in the portal or at the command line included (`sync`
//!   gives each a row the first time the identity provider looks), so existing staff can be matched;
//! - creating one hands them an extension, as Recycle Users does: the one they asked for if free, else
//!   the lowest free one, else a new one after the highest;
//! - deactivating one resets their extension with the domain's deprovisioning options, at once and in
//!   one transaction; the person stays readable, inactive, and the extension is free;
//! - reactivating one hands them an extension again (their old one if still free);
//! - deleting one deactivates them if need be; they are not found from then on.
//!
//! A token acts as an Office Manager of its domain: Resellers and Super Users are out of its reach, and
//! so is anyone in an unfinished bulk action. One domain's changes happen one at a time (`serialise`).

use super::deprovisioning;
use super::holder::TokenHolder;
use super::person::Person;
use super::scim::error::ScimError;
use super::scim::filter;
use crate::server::audit::{self, Action};
use crate::server::bulk::actions::{recycle, reset};
use crate::server::bulk::reach;
use crate::server::directory::users;
use crate::server::entities::{domain, scim_user, user};
use crate::shared::bulk::RecycleEntry;
use crate::shared::error::AppError;
use crate::shared::model::{full_name, Scope, UserStatus};
use crate::shared::validate::validate_extension;
use chrono::Utc;
use scim_v2::filter::Filter;
use sea_orm::sea_query::{Alias, Expr, Func, OnConflict, Query, SimpleExpr};
use sea_orm::{
    prelude::*, ActiveValue::Set, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, JoinType, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use serde_json::json;

/// A person, and the extension they hold now (`None`: inactive).
#[derive(Clone, Debug)]
pub struct Found {
    pub person: scim_user::Model,
    pub held: Option<user::Model>,
}

impl Found {
    fn of(person: scim_user::Model, user: Option<user::Model>) -> Found {
        let held = user.filter(|user| Some(user.id) == person.user_id && user.holding == person.holding);
        Found { person, held }
    }
}

/// Makes the caller's transaction the only one changing `domain`'s people until it ends: its first
/// write, on the domain's row, waits for any other's (on every replica; SQLite has one writer anyway).
pub async fn serialise(txn: &impl ConnectionTrait, domain: &domain::Model) -> Result<(), DbErr> {
    domain::Entity::update_many()
        .col_expr(domain::Column::ProvisioningChanges, Expr::col(domain::Column::ProvisioningChanges).add(1))
        .filter(domain::Column::Id.eq(domain.id))
        .exec(txn)
        .await
        .map(|_| ())
}

/// A current holder whom the identity provider has not seen yet: their `person_holding` (kept by this
/// module alone, not in `user::Model`) is not the holding they hold now. Word for word the predicate of
/// the partial index `idx_users_without_person` (migration m20261206_000014), so that both stores find
/// such holders from it rather than from every user of the domain.
const UNSEEN_HOLDER: &str = "status <> 'setup-required' AND person_holding <> holding";

/// The column `UNSEEN_HOLDER` compares with the holding.
fn person_holding() -> Alias {
    Alias::new("person_holding")
}

/// Gives every current holder of `domain` who has none a person's row: their email as `userName`
/// (`extension@domain` without one). An index probe finds whether any is unseen (`UNSEEN_HOLDER`); only
/// then do two statements write their rows and mark them seen (a lookup must not queue behind a bulk
/// job's writes for nothing). Replicas doing it at once make one row each.
pub async fn sync(db: &impl ConnectionTrait, domain: &domain::Model) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // SQLite's planner may prefer another index of the domain's users, and go through all of them,
    // when its statistics are older than the last sync (taken, say, while every holder of a new demo
    // was unseen); INDEXED BY holds it to this one, and fails loudly should the index ever be gone.
    let (users, domain_id) = match backend {
        DbBackend::Sqlite => ("users INDEXED BY idx_users_without_person", "?"),
        _ => ("users", "$1"),
    };
    let any = format!("SELECT id FROM {users} WHERE domain_id = {domain_id} AND {UNSEEN_HOLDER} LIMIT 1");
    if db.query_one(Statement::from_sql_and_values(backend, any, [domain.id.into()])).await?.is_none() {
        return Ok(());
    }
    let unseen = || Condition::all().add(user::Column::DomainId.eq(domain.id)).add(Expr::cust(UNSEEN_HOLDER));
    let now = Utc::now();
    let user_col = |column: user::Column| Expr::col((user::Entity, column));
    let user_name = || {
        SimpleExpr::from(Func::coalesce([user_col(user::Column::Email).into(), user_col(user::Column::Login).into()]))
    };
    let has_row = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(scim_user::Entity)
            .and_where(
                Expr::col((scim_user::Entity, scim_user::Column::UserId)).equals((user::Entity, user::Column::Id)),
            )
            .and_where(
                Expr::col((scim_user::Entity, scim_user::Column::Holding))
                    .equals((user::Entity, user::Column::Holding)),
            )
            .to_owned(),
    );
    let mut holders = Query::select();
    holders
        .expr(user_col(user::Column::DomainId))
        .expr(user_col(user::Column::Id))
        .expr(user_col(user::Column::Holding))
        .expr(user_name())
        .expr(Func::lower(user_name()))
        .expr(user_col(user::Column::FirstName))
        .expr(user_col(user::Column::LastName))
        .expr(user_col(user::Column::Email))
        .expr(Expr::val(false))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(user::Entity)
        .cond_where(unseen())
        .and_where(has_row.clone().not());
    let insert = Query::insert()
        .into_table(scim_user::Entity)
        .columns([
            scim_user::Column::DomainId,
            scim_user::Column::UserId,
            scim_user::Column::Holding,
            scim_user::Column::UserName,
            scim_user::Column::UserNameKey,
            scim_user::Column::GivenName,
            scim_user::Column::FamilyName,
            scim_user::Column::Email,
            scim_user::Column::Deleted,
            scim_user::Column::CreatedAt,
            scim_user::Column::UpdatedAt,
        ])
        .select_from(holders)
        .map_err(|err| DbErr::Custom(err.to_string()))?
        .on_conflict(
            OnConflict::columns([scim_user::Column::UserId, scim_user::Column::Holding]).do_nothing().to_owned(),
        )
        .to_owned();
    db.execute(backend.build(&insert)).await?;
    // Seen: only where the row of the holding they hold now exists (a recycle meanwhile moved it on).
    let seen = Query::update()
        .table(user::Entity)
        .value(person_holding(), user_col(user::Column::Holding))
        .cond_where(unseen())
        .and_where(has_row)
        .to_owned();
    db.execute(backend.build(&seen)).await.map(|_| ())
}

/// The domain's people (not deleted), each with the extension they last held.
fn of_domain(domain: &domain::Model) -> sea_orm::Select<scim_user::Entity> {
    scim_user::Entity::find()
        .filter(scim_user::Column::DomainId.eq(domain.id))
        .filter(scim_user::Column::Deleted.eq(false))
}

/// The domain's people `filter` matches (all without one), in a stable order (by id): the total, and
/// the page of `count` from the `start`th (1-based).
pub async fn list(
    db: &DatabaseConnection,
    holder: &TokenHolder,
    filter: Option<&Filter>,
    start: u64,
    count: u64,
) -> Result<(u64, Vec<Found>), ScimError> {
    sync(db, &holder.domain).await?;
    let mut select = of_domain(&holder.domain);
    if let Some(filter) = filter {
        select = select.filter(filter::condition(filter)?);
    }
    let joined = select.join(JoinType::LeftJoin, scim_user::Relation::User.def());
    let total = joined.clone().count(db).await?;
    if count == 0 || start > total {
        return Ok((total, Vec::new()));
    }
    let page = joined
        .select_also(user::Entity)
        .order_by_asc(scim_user::Column::Id)
        .offset(start - 1)
        .limit(count)
        .all(db)
        .await?;
    Ok((total, page.into_iter().map(|(person, user)| Found::of(person, user)).collect()))
}

fn not_found(id: &str) -> ScimError {
    let shown: String = id.chars().take(40).collect();
    ScimError::not_found(format!("There is no user with id {shown:?}."))
}

/// The person `id` of the holder's domain: another domain's, or a deleted one, is not found.
pub async fn get(db: &impl ConnectionTrait, holder: &TokenHolder, id: &str) -> Result<Found, ScimError> {
    let key: i32 = id.parse().map_err(|_| not_found(id))?;
    let (person, user) = of_domain(&holder.domain)
        .filter(scim_user::Column::Id.eq(key))
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Found::of(person, user))
}

/// Refuses a second person of the domain with the same user name (without case).
async fn unique(
    txn: &DatabaseTransaction,
    domain: &domain::Model,
    person: &Person,
    except: Option<i32>,
) -> Result<(), ScimError> {
    let mut same = of_domain(domain).filter(scim_user::Column::UserNameKey.eq(person.user_name_key()));
    if let Some(id) = except {
        same = same.filter(scim_user::Column::Id.ne(id));
    }
    if same.count(txn).await? > 0 {
        return Err(ScimError::uniqueness(format!(
            "A user named {} already exists in {}.",
            person.user_name, domain.name
        )));
    }
    Ok(())
}

/// Refuses a holder the token may not change: above an Office Manager, or in an unfinished bulk action.
async fn within_reach(txn: &DatabaseTransaction, user: &user::Model) -> Result<(), ScimError> {
    if user.scope > Scope::OfficeManager {
        return Err(AppError::Forbidden(format!(
            "{} ({}) is a {}, out of an API token's reach; nothing was changed.",
            user.extension,
            full_name(&user.first_name, &user.last_name),
            user.scope.label()
        ))
        .into());
    }
    if reach::busy(txn, [user.id]).await?.contains_key(&user.id) {
        return Err(AppError::Conflict(format!(
            "Extension {} is in a bulk action that has not finished; nothing was changed. Try again once it has.",
            user.extension
        ))
        .into());
    }
    Ok(())
}

/// Creates the person, handing them an extension if they are active.
pub async fn create(db: &DatabaseConnection, holder: &TokenHolder, person: Person) -> Result<Found, ScimError> {
    person.check()?;
    let domain = &holder.domain;
    let txn = db.begin().await?;
    serialise(&txn, domain).await?;
    // Current holders first, so that a new person cannot take an existing holder's user name.
    sync(&txn, domain).await?;
    unique(&txn, domain, &person, None).await?;
    let held = match person.active {
        true => Some(hand_over(&txn, holder, &person, None).await?),
        false => None,
    };
    let now = Utc::now();
    let row = scim_user::ActiveModel {
        domain_id: Set(domain.id),
        user_id: Set(held.as_ref().map(|user| user.id)),
        holding: Set(held.as_ref().map_or(0, |user| user.holding)),
        created_at: Set(now),
        ..profile(&person, now)
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Found { person: row, held })
}

/// The person's attributes as a row's columns.
fn profile(person: &Person, now: DateTimeUtc) -> scim_user::ActiveModel {
    scim_user::ActiveModel {
        user_name: Set(person.user_name.clone()),
        user_name_key: Set(person.user_name_key()),
        external_id: Set(person.external_id.clone()),
        given_name: Set(person.given_name.clone()),
        family_name: Set(person.family_name.clone()),
        display_name: Set(person.display_name.clone()),
        email: Set(person.email.clone()),
        keeps_pbx_schema: Set(person.pbx_schema),
        deleted: Set(false),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Replaces the person `id` with `person` (PUT, and PATCH once applied): a changed `active` deactivates
/// or reactivates them; their name and address follow to the extension they hold. The extension is
/// Switchboard's to assign (read-only): a value sent only asks for one when they are reactivated.
pub async fn replace(
    db: &DatabaseConnection,
    holder: &TokenHolder,
    id: &str,
    person: Person,
) -> Result<Found, ScimError> {
    person.check()?;
    let domain = &holder.domain;
    let txn = db.begin().await?;
    serialise(&txn, domain).await?;
    let found = get(&txn, holder, id).await?;
    if let Some(user) = &found.held {
        within_reach(&txn, user).await?;
    }
    if person.user_name_key() != found.person.user_name_key {
        unique(&txn, domain, &person, Some(found.person.id)).await?;
    }
    let held = match (found.held, person.active) {
        (Some(user), true) => Some(follow(&txn, user, &person).await?),
        (Some(user), false) => {
            deactivate(&txn, holder, &found.person, &user).await?;
            None
        }
        (None, true) => Some(hand_over(&txn, holder, &person, found.person.user_id).await?),
        (None, false) => None,
    };
    let now = Utc::now();
    let mut row = profile(&person, now);
    row.id = Set(found.person.id);
    if let Some(user) = &held {
        row.user_id = Set(Some(user.id));
        row.holding = Set(user.holding);
    }
    let row = row.update(&txn).await?;
    let changed = changes(&found.person, &row);
    if !changed.is_empty() {
        audit::Entry::new(holder.label.clone(), None, Action::ProvisionedUserUpdated)
            .domain(domain.id)
            .detail(json!({ "id": row.id, "userName": row.user_name, "changed": changed }))
            .record(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(Found { person: row, held })
}

/// The attributes that differ between two versions of a person, by name.
fn changes(before: &scim_user::Model, after: &scim_user::Model) -> Vec<&'static str> {
    [
        ("userName", before.user_name != after.user_name),
        ("externalId", before.external_id != after.external_id),
        ("name", (&before.given_name, &before.family_name) != (&after.given_name, &after.family_name)),
        ("displayName", before.display_name != after.display_name),
        ("emails", before.email != after.email),
    ]
    .into_iter()
    .filter_map(|(name, changed)| changed.then_some(name))
    .collect()
}

/// Deletes the person `id`, deactivating them first if they hold an extension.
pub async fn delete(db: &DatabaseConnection, holder: &TokenHolder, id: &str) -> Result<(), ScimError> {
    let txn = db.begin().await?;
    serialise(&txn, &holder.domain).await?;
    let found = get(&txn, holder, id).await?;
    if let Some(user) = &found.held {
        within_reach(&txn, user).await?;
        deactivate(&txn, holder, &found.person, user).await?;
    }
    scim_user::Entity::update_many()
        .col_expr(scim_user::Column::Deleted, Expr::value(true))
        .col_expr(scim_user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(scim_user::Column::Id.eq(found.person.id))
        .exec(&txn)
        .await?;
    audit::Entry::new(holder.label.clone(), None, Action::ProvisionedUserDeleted)
        .domain(holder.domain.id)
        .detail(json!({ "id": found.person.id, "userName": found.person.user_name }))
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The holder's name and address, as the identity provider now gives them, on their extension.
async fn follow(txn: &DatabaseTransaction, user: user::Model, person: &Person) -> Result<user::Model, ScimError> {
    let same = (user.first_name.as_str(), user.last_name.as_str(), user.email.as_deref())
        == (person.given_name.as_str(), person.family_name.as_str(), person.email.as_deref());
    if same {
        return Ok(user);
    }
    let mut changed: user::ActiveModel = user.into();
    changed.first_name = Set(person.given_name.clone());
    changed.last_name = Set(person.family_name.clone());
    changed.email = Set(person.email.clone());
    changed.updated_at = Set(Utc::now());
    Ok(changed.update(txn).await?)
}

/// Resets the extension `user` holds for `person` with the domain's deprovisioning options.
async fn deactivate(
    txn: &DatabaseTransaction,
    holder: &TokenHolder,
    person: &scim_user::Model,
    user: &user::Model,
) -> Result<(), ScimError> {
    let options = deprovisioning::options(&holder.domain);
    // The user was found in the holder's domain, in this transaction.
    if reset::clear(txn, holder.domain.id, &[user.id], &options).await? != reset::Cleared::All {
        return Err(AppError::internal("the user left the domain while being deactivated").into());
    }
    audit::Entry::new(holder.label.clone(), None, Action::UserDeprovisioned)
        .domain(holder.domain.id)
        .target(user.id)
        .detail(
            json!({ "id": person.id, "userName": person.user_name, "extension": user.extension, "options": options }),
        )
        .record(txn)
        .await?;
    Ok(())
}

/// Hands `person` an extension (see `free_extension`), as Recycle Users does: Password Required, a
/// welcome email to their address; the extension's new holding comes back.
async fn hand_over(
    txn: &DatabaseTransaction,
    holder: &TokenHolder,
    person: &Person,
    previous: Option<i32>,
) -> Result<user::Model, ScimError> {
    let user = free_extension(txn, holder, person.extension.as_deref(), previous).await?;
    let entry = RecycleEntry {
        user_id: user.id,
        first_name: person.given_name.clone(),
        last_name: person.family_name.clone(),
        email: person.email.clone().unwrap_or_default(),
        send_welcome: person.email.is_some(),
    };
    if !recycle::apply(txn, &recycle::Recycler::Provisioning(holder), &user, &entry).await? {
        return Err(AppError::Conflict(format!(
            "Extension {} was given to someone else meanwhile; nothing was changed. Try again.",
            user.extension
        ))
        .into());
    }
    // The caller writes the person's row of this holding next, in this transaction: seen already.
    user::Entity::update_many()
        .col_expr(person_holding(), Expr::col(user::Column::Holding).into())
        .filter(user::Column::Id.eq(user.id))
        .exec(txn)
        .await?;
    Ok(user::Entity::find_by_id(user.id).one(txn).await?.ok_or(AppError::Internal)?)
}

/// An extension for a new holder: the one asked for if it is free (or does not exist yet), else
/// `previous` (a reactivated person's old one) if still free, else the domain's lowest free Basic User
/// extension, else a new one numbered after the highest. Free: reset (Setup Required), within an
/// Office Manager's reach, in no unfinished bulk action.
async fn free_extension(
    txn: &DatabaseTransaction,
    holder: &TokenHolder,
    wanted: Option<&str>,
    previous: Option<i32>,
) -> Result<user::Model, ScimError> {
    let domain = &holder.domain;
    let of_domain = || user::Entity::find().filter(user::Column::DomainId.eq(domain.id));
    let free = |user: &user::Model| user.status == UserStatus::SetupRequired && user.scope <= Scope::OfficeManager;
    if let Some(extension) = wanted {
        match of_domain().filter(user::Column::Extension.eq(extension)).one(txn).await? {
            None => return new_extension(txn, holder, extension).await,
            Some(user) if free(&user) && reach::busy(txn, [user.id]).await?.is_empty() => return Ok(user),
            Some(_) => {}
        }
    }
    if let Some(id) = previous {
        if let Some(user) = of_domain().filter(user::Column::Id.eq(id)).one(txn).await? {
            if free(&user) && reach::busy(txn, [user.id]).await?.is_empty() {
                return Ok(user);
            }
        }
    }
    // The lowest few free ones, of which the first in no bulk action.
    let candidates = users::in_extension_order(
        of_domain()
            .filter(user::Column::Status.eq(UserStatus::SetupRequired))
            .filter(user::Column::Scope.eq(Scope::BasicUser)),
    )
    .limit(50)
    .all(txn)
    .await?;
    let busy = reach::busy(txn, candidates.iter().map(|user| user.id)).await?;
    if let Some(user) = candidates.into_iter().find(|user| !busy.contains_key(&user.id)) {
        return Ok(user);
    }
    // Extensions are digits, a longer one higher: the last in that order is the highest.
    let highest = of_domain()
        .order_by_desc(SimpleExpr::from(Func::char_length(Expr::col((user::Entity, user::Column::Extension)))))
        .order_by_desc(user::Column::Extension)
        .one(txn)
        .await?;
    let next = highest
        .and_then(|user| user.extension.parse::<u64>().ok())
        .map_or_else(|| "100".to_string(), |highest| (highest + 1).to_string());
    new_extension(txn, holder, &next).await
}

/// A new, reset extension of the holder's domain, ready for its first holder.
async fn new_extension(
    txn: &DatabaseTransaction,
    holder: &TokenHolder,
    extension: &str,
) -> Result<user::Model, ScimError> {
    validate_extension(extension)?;
    let domain = &holder.domain;
    let now = Utc::now();
    let user = user::ActiveModel {
        domain_id: Set(domain.id),
        login: Set(format!("{extension}@{}", domain.name)),
        extension: Set(extension.to_string()),
        first_name: Set(String::new()),
        last_name: Set(String::new()),
        email: Set(None),
        password_hash: Set(None),
        voicemail_pin_hash: Set(None),
        scope: Set(Scope::BasicUser),
        status: Set(UserStatus::SetupRequired),
        must_change_password: Set(false),
        holding: Set(0),
        session_epoch: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::Entry::new(holder.label.clone(), None, Action::UserCreated)
        .domain(domain.id)
        .target(user.id)
        .detail(json!({ "extension": extension }))
        .record(txn)
        .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ActiveEnum;

    #[test]
    fn an_unseen_holder_is_told_apart_by_the_status_word_the_database_holds() {
        let reset = format!("status <> '{}'", UserStatus::SetupRequired.to_value());
        assert!(UNSEEN_HOLDER.starts_with(&reset), "{UNSEEN_HOLDER}");
    }
}
