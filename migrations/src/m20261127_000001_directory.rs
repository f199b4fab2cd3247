//! The directory: resellers own domains, domains own users (subscribers, one per extension).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Resellers::Table)
                    .col(pk_auto(Resellers::Id))
                    .col(string_uniq(Resellers::Name))
                    .col(timestamp_with_time_zone(Resellers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(pk_auto(Domains::Id))
                    .col(integer(Domains::ResellerId))
                    .col(string_uniq(Domains::Name))
                    .col(string(Domains::Description).default(""))
                    // Read by the recycle form: with either on, a new user's email matters.
                    .col(boolean(Domains::PortalSecurity).default(false))
                    .col(boolean(Domains::VoicemailToEmail).default(false))
                    .col(timestamp_with_time_zone(Domains::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Domains::Table, Domains::ResellerId)
                            .to(Resellers::Table, Resellers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_domains_reseller").table(Domains::Table).col(Domains::ResellerId).to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(integer(Users::DomainId))
                    .col(string_len(Users::Extension, 32))
                    .col(string(Users::FirstName).default(""))
                    .col(string(Users::LastName).default(""))
                    .col(string_null(Users::Email))
                    // extension@domain; unique across the system, it is what people sign in with.
                    .col(string_uniq(Users::Login))
                    .col(string_null(Users::PasswordHash))
                    .col(string_null(Users::VoicemailPinHash))
                    .col(string_len(Users::Scope, 32))
                    .col(string_len(Users::Status, 32))
                    .col(boolean(Users::MustChangePassword).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Users::Table, Users::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The Users page filters by domain, then sorts or searches on these columns.
        for (name, cols, unique) in [
            ("idx_users_domain_extension", vec![Users::DomainId, Users::Extension], true),
            ("idx_users_domain_last_name", vec![Users::DomainId, Users::LastName, Users::FirstName], false),
            ("idx_users_domain_status", vec![Users::DomainId, Users::Status], false),
            ("idx_users_domain_email", vec![Users::DomainId, Users::Email], false),
            ("idx_users_email", vec![Users::Email], false),
        ] {
            let mut index = Index::create();
            index.name(name).table(Users::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Users::Table.into_iden(), Domains::Table.into_iden(), Resellers::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Resellers {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Domains {
    Table,
    Id,
    ResellerId,
    Name,
    Description,
    PortalSecurity,
    VoicemailToEmail,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Users {
    Table,
    Id,
    DomainId,
    Extension,
    FirstName,
    LastName,
    Email,
    Login,
    PasswordHash,
    VoicemailPinHash,
    Scope,
    Status,
    MustChangePassword,
    CreatedAt,
    UpdatedAt,
}
