//! Server-side sessions (so that every server replica on one database knows every session) and the
//! audit log (who did what to whom, when and from where).

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
                    .table(Sessions::Table)
                    // The SHA-256 of the cookie's token, in hex: a leaked table cannot be replayed.
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(integer(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_null(Sessions::RemoteAddr))
                    .col(string_null(Sessions::UserAgent))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [("idx_sessions_user", Sessions::UserId), ("idx_sessions_expires", Sessions::ExpiresAt)] {
            manager.create_index(Index::create().name(name).table(Sessions::Table).col(col).to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    // Kept as text too, so that the entry survives the actor's account.
                    .col(string(AuditLog::Actor))
                    .col(integer_null(AuditLog::ActorUserId))
                    .col(integer_null(AuditLog::DomainId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(integer_null(AuditLog::TargetUserId))
                    .col(text(AuditLog::Detail).default("{}"))
                    .col(string_null(AuditLog::RemoteAddr))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::TargetUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_domain_at")
                    .table(AuditLog::Table)
                    .col(AuditLog::DomainId)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Sessions::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RemoteAddr,
    UserAgent,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    ActorUserId,
    DomainId,
    Action,
    TargetUserId,
    Detail,
    RemoteAddr,
}
