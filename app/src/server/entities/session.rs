//! A signed-in browser. The id is the SHA-256 of the cookie's token, never the token itself.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub remote_addr: Option<String>,
    pub user_agent: Option<String>,
    /// When the session was last used (renewed at most about once a minute): it ends after a while idle.
    pub last_seen_at: DateTimeUtc,
    /// The user's session epoch when the password was checked: once the user's has moved on (they
    /// were reset or signed out everywhere since), this session no longer works.
    pub epoch: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::user::Entity", from = "Column::UserId", to = "super::user::Column::Id")]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
