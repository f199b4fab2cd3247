//! One target user of a bulk job, and what became of them.

use crate::shared::bulk::ItemState;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_job_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub job_id: i32,
    pub user_id: Option<i32>,
    pub extension: String,
    pub name: String,
    pub state: ItemState,
    pub error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
