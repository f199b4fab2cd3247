//! Domains: creating them (CLI), finding one an admin may manage, and listing those in an actor's scope
//! (Domains page).

use crate::server::auth::authz::{Actor, DomainScope, ManagedDomain};
use crate::server::db::OnUnique;
use crate::server::directory::counts;
use crate::server::entities::{domain, reseller, user};
use crate::shared::error::AppError;
use crate::shared::model::DomainSummary;
use chrono::Utc;
use sea_orm::{prelude::*, ActiveValue::Set, QueryOrder};

pub const DEFAULT_RESELLER: &str = "Default Reseller";

/// A domain name in the canonical form we store: lower case, labels of letters, digits and hyphens.
pub fn normalize_name(name: &str) -> Result<String, AppError> {
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(AppError::invalid(
            "domain",
            format!("'{name}' is not a valid domain name: use letters, digits, hyphens and dots, like acme.example."),
        ));
    }
    Ok(name)
}

pub async fn find(db: &impl ConnectionTrait, name: &str) -> Result<Option<domain::Model>, DbErr> {
    domain::Entity::find().filter(domain::Column::Name.eq(name)).one(db).await
}

/// The domain `name`, if the actor may manage it.
pub async fn managed(db: &DatabaseConnection, actor: &Actor, name: &str) -> Result<ManagedDomain, AppError> {
    let found = find(db, name).await?;
    actor.manage(name, found)
}

/// The row `id` of `E` (a bulk job, a message…) and its domain, if the actor may see that domain. Another
/// domain's row is answered like one that does not exist ("There is no {noun} number {id}."): ids tell
/// nothing.
pub async fn row_in_scope<E>(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i32,
    noun: &str,
) -> Result<(E::Model, domain::Model), AppError>
where
    E: EntityTrait + Related<domain::Entity>,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i32>,
{
    actor.require_admin()?;
    let not_found = || AppError::NotFound(format!("There is no {noun} number {id}."));
    let (row, domain) = E::find_by_id(id).find_also_related(domain::Entity).one(db).await?.ok_or_else(not_found)?;
    let domain = domain.filter(|domain| actor.domain_scope().contains(domain)).ok_or_else(not_found)?;
    Ok((row, domain))
}

/// Creates the domain `name` under the reseller `reseller_name`, creating that reseller if new.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    reseller_name: &str,
    description: &str,
) -> Result<domain::Model, AppError> {
    let name = normalize_name(name)?;
    let reseller_name = reseller_name.trim();
    if reseller_name.is_empty() {
        return Err(AppError::invalid("reseller", "The reseller name cannot be empty."));
    }
    if find(db, &name).await?.is_some() {
        return Err(AppError::Conflict(format!("The domain {name} already exists.")));
    }
    let reseller = match reseller::Entity::find().filter(reseller::Column::Name.eq(reseller_name)).one(db).await? {
        Some(reseller) => reseller,
        None => {
            reseller::ActiveModel {
                name: Set(reseller_name.to_string()),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    domain::ActiveModel {
        reseller_id: Set(reseller.id),
        name: Set(name.clone()),
        description: Set(description.to_string()),
        portal_security: Set(false),
        voicemail_to_email: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    // Another process may have created it between our check and our insert.
    .on_unique(|| format!("The domain {name} already exists."))
}

/// The domains the actor manages, by name, with their reseller and number of users.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<DomainSummary>, AppError> {
    actor.require_admin()?;
    let mut select = domain::Entity::find().find_also_related(reseller::Entity).order_by_asc(domain::Column::Name);
    select = match actor.domain_scope() {
        DomainScope::None => return Ok(Vec::new()),
        DomainScope::Domain(id) => select.filter(domain::Column::Id.eq(id)),
        DomainScope::Reseller(id) => select.filter(domain::Column::ResellerId.eq(id)),
        DomainScope::All => select,
    };
    let domains = select.all(db).await?;
    let ids: Vec<i32> = domains.iter().map(|(domain, _)| domain.id).collect();
    let counts = counts::per_key::<user::Entity>(db, user::Column::DomainId, ids).await?;
    Ok(domains
        .into_iter()
        .map(|(domain, reseller)| DomainSummary {
            user_count: counts.get(&domain.id).copied().unwrap_or(0),
            name: domain.name,
            description: domain.description,
            reseller: reseller.map(|r| r.name).unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_lowercased_and_checked() {
        assert_eq!(normalize_name(" Acme.Example. ").unwrap(), "acme.example");
        for bad in ["", "acme..example", "-acme.example", "acme_corp.example", "a b.example"] {
            assert!(matches!(normalize_name(bad), Err(AppError::Invalid(_))), "{bad:?} was accepted");
        }
    }
}
