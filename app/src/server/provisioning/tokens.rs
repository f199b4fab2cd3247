//! A domain's API tokens for its identity provider: made (and shown once) by an admin or the operator,
//! kept only as a SHA-256 digest, found again by that digest and compared in constant time, refused at
//! once when revoked. A token acts on its own domain only, as an Office Manager of it would.

use super::holder::TokenHolder;
use crate::server::audit::{self, Action};
use crate::server::auth::tokens::{digest, new_token};
use crate::server::entities::{domain, scim_token};
use crate::server::time::to_minute;
use crate::shared::error::AppError;
use crate::shared::provisioning::{ApiToken, MAX_TOKEN_NAME_LEN};
use crate::shared::validate::is_bidi_control;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, ActiveValue::Set, Condition, QueryOrder, TransactionTrait};
use subtle::ConstantTimeEq;

/// What every token starts with: recognisable in a leaked log or a secret scanner's rules.
pub const PREFIX: &str = "sbscim_";

/// How stale "last used" may get: written at most once a minute per token, not on every request.
const LAST_USED_STEP: i64 = 60;

/// Who made a token: an admin (their login), or the operator at the command line.
pub enum Maker<'a> {
    Admin(&'a crate::server::auth::authz::Actor),
    CommandLine,
}

impl Maker<'_> {
    fn login(&self) -> &str {
        match self {
            Maker::Admin(actor) => &actor.login,
            Maker::CommandLine => audit::COMMAND_LINE,
        }
    }

    fn audit(&self, action: Action) -> audit::Entry {
        match self {
            Maker::Admin(actor) => audit::Entry::by(actor, action),
            Maker::CommandLine => audit::Entry::cli(action),
        }
    }
}

fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "Name the token, e.g. after the identity provider that will use it."));
    }
    if name.chars().count() > MAX_TOKEN_NAME_LEN {
        return Err(AppError::invalid("name", format!("A token's name has at most {MAX_TOKEN_NAME_LEN} characters.")));
    }
    if name.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(AppError::invalid(
            "name",
            "A token's name must not contain control characters or text-direction marks.",
        ));
    }
    Ok(name.to_string())
}

/// Makes a token named `name` for `domain`; the token itself is returned once and never kept.
pub async fn create(
    db: &DatabaseConnection,
    domain: &domain::Model,
    name: &str,
    by: Maker<'_>,
) -> Result<String, AppError> {
    let name = check_name(name)?;
    let token = format!("{PREFIX}{}", new_token());
    let txn = db.begin().await?;
    // One domain's token changes one at a time: two admins naming a token alike make one.
    super::people::serialise(&txn, domain).await?;
    let taken = scim_token::Entity::find()
        .filter(scim_token::Column::DomainId.eq(domain.id))
        .filter(scim_token::Column::Name.eq(&name))
        .filter(scim_token::Column::RevokedAt.is_null())
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(AppError::invalid(
            "name",
            format!("{} already has a token named {name}; revoke it or choose another name.", domain.name),
        ));
    }
    scim_token::ActiveModel {
        domain_id: Set(domain.id),
        name: Set(name.clone()),
        digest: Set(digest(&token)),
        created_by: Set(by.login().to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    by.audit(Action::ApiTokenCreated)
        .domain(domain.id)
        .detail(serde_json::json!({ "name": name }))
        .record(&txn)
        .await?;
    // The domain's holders as the identity provider will see them, made now rather than by its first
    // lookup (thousands of rows, which its first requests at once would all wait for).
    super::people::sync(&txn, domain).await?;
    txn.commit().await?;
    Ok(token)
}

/// The domain's tokens in use, oldest first.
pub async fn list(db: &DatabaseConnection, domain: &domain::Model) -> Result<Vec<ApiToken>, AppError> {
    Ok(scim_token::Entity::find()
        .filter(scim_token::Column::DomainId.eq(domain.id))
        .filter(scim_token::Column::RevokedAt.is_null())
        .order_by_asc(scim_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|token| ApiToken {
            name: token.name,
            created_by: token.created_by,
            created: to_minute(token.created_at),
            last_used: token.last_used_at.map(to_minute),
        })
        .collect())
}

/// Revokes the domain's token named `name`: refused from the next request on.
pub async fn revoke(
    db: &DatabaseConnection,
    domain: &domain::Model,
    name: &str,
    by: Maker<'_>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let revoked = scim_token::Entity::update_many()
        .col_expr(scim_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(scim_token::Column::DomainId.eq(domain.id))
        .filter(scim_token::Column::Name.eq(name.trim()))
        .filter(scim_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected == 0 {
        return Err(AppError::NotFound(format!("{} has no token named {}.", domain.name, name.trim())));
    }
    by.audit(Action::ApiTokenRevoked)
        .domain(domain.id)
        .detail(serde_json::json!({ "name": name.trim() }))
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The domain and token a bearer token stands for, if it is one of ours and not revoked.
pub async fn authenticate(db: &DatabaseConnection, bearer: &str) -> Result<Option<TokenHolder>, DbErr> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 200 {
        return Ok(None);
    }
    let wanted = digest(bearer);
    let found = scim_token::Entity::find()
        .find_also_related(domain::Entity)
        .filter(scim_token::Column::Digest.eq(&wanted))
        .filter(scim_token::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    // The index found the row by its digest; the comparison that lets it in takes the same time
    // however many characters match.
    let Some((token, Some(domain))) =
        found.filter(|(token, _)| bool::from(token.digest.as_bytes().ct_eq(wanted.as_bytes())))
    else {
        return Ok(None);
    };
    let now = Utc::now();
    if token.last_used_at.is_none_or(|at| now - at >= Duration::seconds(LAST_USED_STEP)) {
        scim_token::Entity::update_many()
            .col_expr(scim_token::Column::LastUsedAt, Expr::value(now))
            .filter(scim_token::Column::Id.eq(token.id))
            .filter(
                Condition::any()
                    .add(scim_token::Column::LastUsedAt.is_null())
                    .add(scim_token::Column::LastUsedAt.lt(now - Duration::seconds(LAST_USED_STEP))),
            )
            .exec(db)
            .await?;
    }
    let label = format!("{} (API token)", token.name);
    Ok(Some(TokenHolder { token, domain, label }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_required_short_and_plain() {
        assert_eq!(check_name("  Okta ").unwrap(), "Okta");
        for bad in ["", "   ", "x\u{202e}y", "a\nb"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"n".repeat(MAX_TOKEN_NAME_LEN + 1)).is_err());
    }
}
