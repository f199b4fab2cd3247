//! Provisioning from an identity provider (SCIM):
//! - per-domain API tokens, kept only as a SHA-256 digest, with when each was made, last used and revoked;
//! - the people the identity provider knows (`scim_users`): one row per holding of an extension, made
//!   when the identity provider creates someone or first sees an existing holder, and kept after the
//!   holding ends (a deactivated person must still be found); which extension and holding it last had;
//! - a domain's deprovisioning options (the reset options a deactivation clears; none saved: all) and a
//!   counter every provisioning change moves, which serialises one domain's changes across replicas.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [text_null(Domains::Deprovisioning), integer(Domains::ProvisioningChanges).default(0).to_owned()]
        {
            manager.alter_table(Table::alter().table(Domains::Table).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ScimTokens::Table)
                    .col(pk_auto(ScimTokens::Id))
                    .col(integer(ScimTokens::DomainId))
                    .col(string_len(ScimTokens::Name, 100))
                    .col(string_len_uniq(ScimTokens::Digest, 64))
                    .col(string_len(ScimTokens::CreatedBy, 255))
                    .col(timestamp_with_time_zone(ScimTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ScimTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ScimTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimTokens::Table, ScimTokens::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        crate::indexes::create(manager, ScimTokens::Table, vec![("scim_tokens_domain", vec![ScimTokens::DomainId])])
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScimUsers::Table)
                    .col(pk_auto(ScimUsers::Id))
                    .col(integer(ScimUsers::DomainId))
                    .col(integer_null(ScimUsers::UserId))
                    .col(integer(ScimUsers::Holding).default(0).to_owned())
                    .col(string_len(ScimUsers::UserName, 255))
                    .col(string_len(ScimUsers::UserNameKey, 255))
                    .col(string_len_null(ScimUsers::ExternalId, 255))
                    .col(string_len(ScimUsers::GivenName, 100))
                    .col(string_len(ScimUsers::FamilyName, 100))
                    .col(string_len_null(ScimUsers::DisplayName, 255))
                    .col(string_len_null(ScimUsers::Email, 255))
                    .col(boolean(ScimUsers::Deleted).default(false))
                    .col(boolean(ScimUsers::KeepsPbxSchema).default(false))
                    .col(timestamp_with_time_zone(ScimUsers::CreatedAt))
                    .col(timestamp_with_time_zone(ScimUsers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimUsers::Table, ScimUsers::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScimUsers::Table, ScimUsers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One person per holding: replicas seeing the same new holder at once make one row.
        manager
            .create_index(
                Index::create()
                    .name("scim_users_holding")
                    .table(ScimUsers::Table)
                    .col(ScimUsers::UserId)
                    .col(ScimUsers::Holding)
                    .unique()
                    .to_owned(),
            )
            .await?;
        crate::indexes::create(
            manager,
            ScimUsers::Table,
            vec![
                ("scim_users_user_name", vec![ScimUsers::DomainId, ScimUsers::UserNameKey]),
                ("scim_users_external_id", vec![ScimUsers::DomainId, ScimUsers::ExternalId]),
                ("scim_users_email", vec![ScimUsers::DomainId, ScimUsers::Email]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ScimUsers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ScimTokens::Table).to_owned()).await?;
        for column in [Domains::Deprovisioning, Domains::ProvisioningChanges] {
            manager.alter_table(Table::alter().table(Domains::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Domains {
    Table,
    Id,
    Deprovisioning,
    ProvisioningChanges,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ScimTokens {
    Table,
    Id,
    DomainId,
    Name,
    Digest,
    CreatedBy,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ScimUsers {
    Table,
    Id,
    DomainId,
    UserId,
    Holding,
    UserName,
    UserNameKey,
    ExternalId,
    GivenName,
    FamilyName,
    DisplayName,
    Email,
    Deleted,
    KeepsPbxSchema,
    CreatedAt,
    UpdatedAt,
}
