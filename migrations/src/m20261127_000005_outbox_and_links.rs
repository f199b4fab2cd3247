//! Email and first sign-in: the outbox (one row per message to send, written in the same transaction as
//! the change that asks for it) and set-password links (only a hash of each link's token is kept).

use crate::m20261127_000001_directory::{Domains, Users};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OutboxMessages::Table)
                    .col(pk_auto(OutboxMessages::Id))
                    .col(integer(OutboxMessages::DomainId))
                    .col(integer_null(OutboxMessages::UserId))
                    // Welcome or password reset: the text is written when the message is sent, because
                    // its link's token exists only then (the database never holds a usable link).
                    .col(string_len(OutboxMessages::Kind, 32))
                    .col(string_len(OutboxMessages::Recipient, 254))
                    .col(string(OutboxMessages::Subject))
                    .col(string_len(OutboxMessages::State, 16))
                    .col(integer(OutboxMessages::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboxMessages::NextAttemptAt))
                    .col(text_null(OutboxMessages::LastError))
                    // Which dispatcher is sending it, and until when (as for bulk job items).
                    .col(string_len_null(OutboxMessages::LeaseOwner, 64))
                    .col(timestamp_with_time_zone_null(OutboxMessages::LeaseUntil))
                    .col(string_null(OutboxMessages::Requester))
                    .col(timestamp_with_time_zone(OutboxMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxMessages::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboxMessages::Table, OutboxMessages::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OutboxMessages::Table, OutboxMessages::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = vec![
            ("idx_outbox_messages_due", vec![OutboxMessages::State, OutboxMessages::NextAttemptAt]),
            ("idx_outbox_messages_domain", vec![OutboxMessages::DomainId, OutboxMessages::Id]),
        ];
        crate::indexes::create(manager, OutboxMessages::Table, indexes).await?;

        manager
            .create_table(
                Table::create()
                    .table(PasswordLinks::Table)
                    // SHA-256 of the link's token, in hex.
                    .col(string_len(PasswordLinks::Id, 64).primary_key())
                    .col(integer(PasswordLinks::UserId))
                    .col(string_len(PasswordLinks::Purpose, 16))
                    .col(timestamp_with_time_zone(PasswordLinks::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(PasswordLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PasswordLinks::Table, PasswordLinks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_password_links_user")
                    .table(PasswordLinks::Table)
                    .col(PasswordLinks::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PasswordLinks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OutboxMessages::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboxMessages {
    Table,
    Id,
    DomainId,
    UserId,
    Kind,
    Recipient,
    Subject,
    State,
    Attempts,
    NextAttemptAt,
    LastError,
    LeaseOwner,
    LeaseUntil,
    Requester,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PasswordLinks {
    Table,
    Id,
    UserId,
    Purpose,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
