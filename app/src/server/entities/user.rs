//! A subscriber: one extension of a domain, and the portal account of whoever holds it.
//!
//! The table has two more columns, each read and written by its own queries only: `search_text` (the
//! Users page's search, `directory::users`) and `person_holding` (the holders an identity provider has
//! seen, `provisioning::people`).

use crate::shared::model::{Scope, UserStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    #[sea_orm(unique)]
    pub login: String,
    /// Argon2id PHC string; `None` until the holder chooses a password.
    pub password_hash: Option<String>,
    pub voicemail_pin_hash: Option<String>,
    pub scope: Scope,
    pub status: UserStatus,
    pub must_change_password: bool,
    /// Which holding of the extension this is: bumped by every reset and every recycle, so that what
    /// was made for one holder (an email, a set-password link) never works for the next.
    pub holding: i32,
    /// Moved on by everything that signs the user out everywhere (a reset, a recycle, a forced password
    /// reset, a new password): a session works only while its epoch is still the user's.
    pub session_epoch: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
