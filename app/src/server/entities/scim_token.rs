//! An API token of a domain, for its identity provider: only the SHA-256 of the token is kept.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    /// What the admin called it ("Okta"): the audit log names the token's changes by it.
    pub name: String,
    #[sea_orm(unique)]
    pub digest: String,
    /// Who made it: an admin's login, or the command line.
    pub created_by: String,
    pub created_at: DateTimeUtc,
    /// To the minute: written at most once a minute, not on every request.
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::domain::Entity", from = "Column::DomainId", to = "super::domain::Column::Id")]
    Domain,
}

impl Related<super::domain::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Domain.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
