//! A domain's deprovisioning options: what a deactivation from the identity provider clears. Every
//! reset option unless an admin chose otherwise, because the extension will go to someone else.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::ManagedDomain;
use crate::server::entities::domain;
use crate::shared::bulk::ResetOptions;
use crate::shared::error::AppError;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, TransactionTrait};

/// The options `domain`'s deactivations clear.
pub fn options(domain: &domain::Model) -> ResetOptions {
    domain
        .deprovisioning
        .as_deref()
        .and_then(|saved| serde_json::from_str::<ResetOptions>(saved).ok())
        .filter(|options| !options.is_empty())
        .unwrap_or_else(ResetOptions::all)
}

/// Saves the options the managed domain's deactivations clear.
pub async fn save(db: &DatabaseConnection, managed: &ManagedDomain, options: ResetOptions) -> Result<(), AppError> {
    if options.is_empty() {
        return Err(AppError::invalid("options", "Choose at least one kind of data to clear."));
    }
    let domain = managed.domain();
    let saved = serde_json::to_string(&options).map_err(AppError::internal)?;
    let txn = db.begin().await?;
    domain::Entity::update_many()
        .col_expr(domain::Column::Deprovisioning, Expr::value(saved))
        .filter(domain::Column::Id.eq(domain.id))
        .exec(&txn)
        .await?;
    audit::Entry::by(managed.actor(), Action::DeprovisioningChanged)
        .domain(domain.id)
        .detail(serde_json::json!({ "options": options }))
        .record(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
