//! A person as the identity provider knows them: one holding of an extension (`user::Model::holding`).
//! The row outlives the holding, so that a deactivated person is still found; they are active while
//! the extension's current holding is still theirs.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_users")]
pub struct Model {
    /// The SCIM `id`: never reused (rows are never deleted, only marked).
    #[sea_orm(primary_key)]
    pub id: i32,
    pub domain_id: i32,
    /// The extension they hold or last held; `None` for someone created inactive, who never held one.
    pub user_id: Option<i32>,
    /// Which holding of it is (or was) theirs.
    pub holding: i32,
    pub user_name: String,
    /// `user_name` in lower case: user names compare without case.
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Deleted by the identity provider: answered 404 from then on.
    pub deleted: bool,
    /// Whether the identity provider gave this person Switchboard's extension object (in a create, a
    /// replace or a PATCH of the object): answers carry it as it was left.
    pub keeps_pbx_schema: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
