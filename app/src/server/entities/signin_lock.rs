//! A login or a client address that may not sign in until a time, after too many failures.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_locks")]
pub struct Model {
    /// `login:…` or `addr:…` (`throttle::Key`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub locked_at: DateTimeUtc,
    pub until: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
