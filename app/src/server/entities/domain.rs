use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub reseller_id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub description: String,
    pub portal_security: bool,
    pub voicemail_to_email: bool,
    pub created_at: DateTimeUtc,
    /// While an operator holds the domain's bulk work (`bulk::hold`), how many more users the workers
    /// may still process (0: none); `None` when it is not held.
    pub bulk_allowance: Option<i32>,
    /// The reset options a deactivation from the identity provider clears, as the reset options' names
    /// (`provisioning::deprovisioning`); `None`: every option.
    pub deprovisioning: Option<String>,
    /// Moved by every change the identity provider makes in the domain: the first statement of such a
    /// change, so that one domain's changes happen one at a time, on however many replicas.
    pub provisioning_changes: i32,
}

/// Relations are declared from the side that holds the key only (a user's domain, a domain's reseller):
/// that is the way the code reads them, and entities then import no circle.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::reseller::Entity", from = "Column::ResellerId", to = "super::reseller::Column::Id")]
    Reseller,
}

impl Related<super::reseller::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reseller.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether the domain's users need an email address: for portal security (sign-in links and
    /// resets) or for voicemail to email and transcription.
    pub fn wants_email(&self) -> bool {
        self.portal_security || self.voicemail_to_email
    }
}

#[cfg(test)]
impl Model {
    /// A domain as the unit tests of the scope rules need one: only its id and reseller matter.
    pub(crate) fn example(id: i32, reseller_id: i32) -> Model {
        Model {
            id,
            reseller_id,
            name: format!("d{id}.example"),
            description: String::new(),
            portal_security: false,
            voicemail_to_email: false,
            created_at: chrono::Utc::now(),
            bulk_allowance: None,
            deprovisioning: None,
            provisioning_changes: 0,
        }
    }
}
