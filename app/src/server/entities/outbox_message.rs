//! One email to send, written in the same transaction as the change that asks for it.

use crate::shared::mail::{MessageKind, MessageState};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    /// Whom the message is about; `None` once their account is gone.
    pub user_id: Option<i32>,
    pub kind: MessageKind,
    pub recipient: String,
    pub subject: String,
    pub state: MessageState,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    /// The login of the admin who asked for it.
    pub requester: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The holding of the extension it was queued for (`user::Model::holding`).
    pub holding: i32,
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
