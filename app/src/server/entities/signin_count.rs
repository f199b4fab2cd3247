//! The sign-in attempts counted against one key (an account, a login, a client's address) since a time.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_counts")]
pub struct Model {
    /// `account:…`, `login:…` or `addr:…` (`throttle::Key`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// Failed attempts, and attempts being checked, since `since`.
    pub attempts: i32,
    /// When the window these attempts count in began.
    pub since: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
