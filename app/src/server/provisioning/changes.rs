//! The latest provisioning changes in an admin's scope, read from the audit log for the Activity page:
//! what each identity provider did, named by its token, and the admins' changes to tokens and options.

use crate::server::audit::Action;
use crate::server::auth::authz::Actor;
use crate::server::db::ids::AmongIds;
use crate::server::entities::{audit_log, domain, user};
use crate::server::time::to_minute;
use crate::shared::error::AppError;
use crate::shared::provisioning::ProvisioningChange;
use sea_orm::{prelude::*, QueryOrder, QuerySelect};
use serde_json::Value;
use std::collections::HashMap;

/// Changes listed: the Activity page shows the latest.
const LISTED: u64 = 50;

const ACTIONS: [Action; 8] = [
    Action::UserProvisioned,
    Action::UserDeprovisioned,
    Action::ProvisionedUserUpdated,
    Action::ProvisionedUserDeleted,
    Action::UserCreated,
    Action::ApiTokenCreated,
    Action::ApiTokenRevoked,
    Action::DeprovisioningChanged,
];

pub async fn recent(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<ProvisioningChange>, AppError> {
    actor.require_admin()?;
    let Some(in_scope) = actor.domain_scope().condition(domain::Column::Id) else { return Ok(Vec::new()) };
    let domains: HashMap<i32, String> = domain::Entity::find()
        .filter(in_scope)
        .all(db)
        .await?
        .into_iter()
        .map(|domain| (domain.id, domain.name))
        .collect();
    let entries = audit_log::Entity::find()
        .filter(audit_log::Column::DomainId.is_in(domains.keys().copied()))
        .filter(audit_log::Column::Action.is_in(ACTIONS.map(Action::as_str)))
        // A user made by hand has the same action; only those an identity provider made are listed.
        .filter(
            sea_orm::Condition::any()
                .add(audit_log::Column::Action.ne(Action::UserCreated.as_str()))
                .add(audit_log::Column::Actor.like("% (API token)")),
        )
        .order_by_desc(audit_log::Column::Id)
        .limit(LISTED)
        .all(db)
        .await?;
    let extensions: HashMap<i32, String> = user::Entity::find()
        .filter(
            user::Column::Id.among(db.get_database_backend(), entries.iter().filter_map(|entry| entry.target_user_id)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|user| (user.id, user.extension))
        .collect();
    Ok(entries
        .into_iter()
        .map(|entry| {
            let extension = entry.target_user_id.and_then(|id| extensions.get(&id)).map(String::as_str);
            ProvisioningChange {
                at: to_minute(entry.at),
                domain: entry.domain_id.and_then(|id| domains.get(&id)).cloned().unwrap_or_default(),
                what: describe(&entry.action, &serde_json::from_str(&entry.detail).unwrap_or(Value::Null), extension),
                by: entry.actor,
            }
        })
        .collect())
}

/// One change in words.
fn describe(action: &str, detail: &Value, extension: Option<&str>) -> String {
    let text = |key: &str| detail.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let extension = extension.map(str::to_string).unwrap_or_else(|| text("extension"));
    match action {
        "user_provisioned" => format!("Gave extension {extension} to a new holder"),
        "user_deprovisioned" => format!("Deactivated {}: extension {extension} reset", text("userName")),
        "provisioned_user_updated" => {
            let changed: Vec<&str> = detail
                .get("changed")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!("Updated {} ({})", text("userName"), changed.join(", "))
        }
        "provisioned_user_deleted" => format!("Deleted {}", text("userName")),
        "user_created" => format!("Added extension {extension}"),
        "api_token_created" => format!("Created the API token {}", text("name")),
        "api_token_revoked" => format!("Revoked the API token {}", text("name")),
        _ => "Changed the deprovisioning options".to_string(),
    }
}
