//! The data that belongs to one subscriber and that a reset can clear, each kind in its own table so that
//! a reset is one set-based DELETE per kind. The phone numbers routed to an extension and the call queues
//! themselves belong to the domain: they stay when a user is reset.

use crate::m20261127_000001_directory::{Domains, Users};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A table whose rows belong to one user: an id, the owning `user_id` (deleted with the user), the
/// given columns, and an index on `user_id` for the per-user deletes and counts.
fn user_owned(table: impl IntoIden + Copy + 'static, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut create = Table::create();
    create.table(table).col(pk_auto(Alias::new("id"))).col(integer(Alias::new("user_id")));
    for mut column in columns {
        create.col(&mut column);
    }
    create
        .foreign_key(
            ForeignKey::create()
                .from(table, Alias::new("user_id"))
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

async fn create_user_owned(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + Copy + 'static,
    columns: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    create_with_user_index(manager, table, user_owned(table, columns)).await
}

async fn create_with_user_index(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + Copy + 'static,
    create: TableCreateStatement,
) -> Result<(), DbErr> {
    manager.create_table(create).await?;
    let name = format!("idx_{}_user", table.into_iden().to_string());
    manager.create_index(Index::create().name(name).table(table).col(Alias::new("user_id")).to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_user_owned(
            manager,
            Devices::Table,
            vec![
                string_len(Devices::Mac, 17),
                string(Devices::Model),
                string(Devices::SipUsername),
                string(Devices::SipPassword),
                timestamp_with_time_zone(Devices::CreatedAt),
            ],
        )
        .await?;
        create_user_owned(
            manager,
            VoicemailMessages::Table,
            vec![
                string_len(VoicemailMessages::Folder, 16),
                string(VoicemailMessages::CallerId),
                integer(VoicemailMessages::DurationSecs),
                timestamp_with_time_zone(VoicemailMessages::ReceivedAt),
            ],
        )
        .await?;
        create_user_owned(
            manager,
            VoicemailGreetings::Table,
            vec![
                string(VoicemailGreetings::Name),
                integer(VoicemailGreetings::DurationSecs),
                boolean(VoicemailGreetings::Active).default(false).to_owned(),
                timestamp_with_time_zone(VoicemailGreetings::CreatedAt),
            ],
        )
        .await?;
        create_user_owned(
            manager,
            AnsweringRules::Table,
            vec![
                string(AnsweringRules::Name),
                integer(AnsweringRules::Priority),
                string(AnsweringRules::ForwardTo),
                boolean(AnsweringRules::Enabled).default(true).to_owned(),
            ],
        )
        .await?;
        create_user_owned(
            manager,
            Contacts::Table,
            vec![
                string(Contacts::FirstName),
                string(Contacts::LastName),
                string(Contacts::Phone),
                string_null(Contacts::Email),
            ],
        )
        .await?;
        create_user_owned(
            manager,
            CallHistory::Table,
            vec![
                string_len(CallHistory::Direction, 16),
                string(CallHistory::RemoteNumber),
                timestamp_with_time_zone(CallHistory::StartedAt),
                integer(CallHistory::DurationSecs),
            ],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CallQueues::Table)
                    .col(pk_auto(CallQueues::Id))
                    .col(integer(CallQueues::DomainId))
                    .col(string(CallQueues::Name))
                    .col(string_len(CallQueues::Extension, 32))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CallQueues::Table, CallQueues::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let memberships = user_owned(
            QueueMemberships::Table,
            vec![integer(QueueMemberships::QueueId), integer(QueueMemberships::Priority)],
        )
        .foreign_key(
            ForeignKey::create()
                .from(QueueMemberships::Table, QueueMemberships::QueueId)
                .to(CallQueues::Table, CallQueues::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();
        create_with_user_index(manager, QueueMemberships::Table, memberships).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_queue_memberships_queue")
                    .table(QueueMemberships::Table)
                    .col(QueueMemberships::QueueId)
                    .to_owned(),
            )
            .await?;

        // Phone numbers (DIDs) are routed to an extension and stay with it through resets.
        manager
            .create_table(
                Table::create()
                    .table(PhoneNumbers::Table)
                    .col(pk_auto(PhoneNumbers::Id))
                    .col(integer(PhoneNumbers::DomainId))
                    .col(string_uniq(PhoneNumbers::Number))
                    .col(integer_null(PhoneNumbers::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PhoneNumbers::Table, PhoneNumbers::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PhoneNumbers::Table, PhoneNumbers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_phone_numbers_user")
                    .table(PhoneNumbers::Table)
                    .col(PhoneNumbers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            PhoneNumbers::Table.into_iden(),
            QueueMemberships::Table.into_iden(),
            CallQueues::Table.into_iden(),
            CallHistory::Table.into_iden(),
            Contacts::Table.into_iden(),
            AnsweringRules::Table.into_iden(),
            VoicemailGreetings::Table.into_iden(),
            VoicemailMessages::Table.into_iden(),
            Devices::Table.into_iden(),
        ];
        for table in tables {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Devices {
    Table,
    Mac,
    Model,
    SipUsername,
    SipPassword,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VoicemailMessages {
    Table,
    Folder,
    CallerId,
    DurationSecs,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VoicemailGreetings {
    Table,
    Name,
    DurationSecs,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AnsweringRules {
    Table,
    Name,
    Priority,
    ForwardTo,
    Enabled,
}

#[derive(DeriveIden, Clone, Copy)]
enum Contacts {
    Table,
    FirstName,
    LastName,
    Phone,
    Email,
}

#[derive(DeriveIden, Clone, Copy)]
enum CallHistory {
    Table,
    Direction,
    RemoteNumber,
    StartedAt,
    DurationSecs,
}

#[derive(DeriveIden, Clone, Copy)]
enum CallQueues {
    Table,
    Id,
    DomainId,
    Name,
    Extension,
}

#[derive(DeriveIden, Clone, Copy)]
enum QueueMemberships {
    Table,
    QueueId,
    Priority,
}

#[derive(DeriveIden, Clone, Copy)]
enum PhoneNumbers {
    Table,
    Id,
    DomainId,
    Number,
    UserId,
}
