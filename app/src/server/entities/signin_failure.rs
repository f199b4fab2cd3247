//! One failed sign-in, counted against the login tried and against the client's address.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// What it counts against: `login:…` or `addr:…` (`throttle::Key`).
    pub key: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
