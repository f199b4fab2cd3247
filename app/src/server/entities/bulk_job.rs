//! A bulk job: who asked for what in which domain, and how far it has got.

use crate::shared::bulk::JobState;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulk_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    pub actor: String,
    pub actor_user_id: Option<i32>,
    /// The holding of `actor_user_id`'s extension that made the job: a scheduled job whose admin has
    /// been reset (or whose extension has a new holder) since does nothing when its time comes.
    pub actor_holding: Option<i32>,
    /// `JobAction::slug`, for reading the table by hand; `params` is the whole request.
    pub action: String,
    /// `JobAction` as JSON.
    pub params: String,
    pub state: JobState,
    pub total: i32,
    pub done_count: i32,
    pub failed_count: i32,
    pub created_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub remote_addr: Option<String>,
    /// When a scheduled job is to start.
    pub run_at: Option<DateTimeUtc>,
    /// The time zone `run_at` was chosen in (an IANA name), to show it as the admin chose it.
    pub time_zone: Option<String>,
    /// When it started; none while it waits for `run_at`.
    pub started_at: Option<DateTimeUtc>,
    /// Users a scheduled job left out when it started, because they no longer qualified.
    pub skipped_count: i32,
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
