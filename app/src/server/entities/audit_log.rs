//! One entry of the audit log: who did what to whom, when, from where.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub at: DateTimeUtc,
    pub actor: String,
    pub actor_user_id: Option<i32>,
    pub domain_id: Option<i32>,
    pub action: String,
    pub target_user_id: Option<i32>,
    /// JSON with the action's particulars.
    pub detail: String,
    pub remote_addr: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
