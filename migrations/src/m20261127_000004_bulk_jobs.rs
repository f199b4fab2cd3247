//! Bulk jobs: one row per job (who asked for what, in which domain, and how far it has got) and one per
//! target user (pending, done or failed, and why). The worker marks a user's row done in the same
//! transaction as the user's reset, so the rows always tell the truth about what has happened.

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
                    .table(BulkJobs::Table)
                    .col(pk_auto(BulkJobs::Id))
                    .col(integer(BulkJobs::DomainId))
                    // Kept as text too, so that the job's record survives the actor's account.
                    .col(string(BulkJobs::Actor))
                    .col(integer_null(BulkJobs::ActorUserId))
                    .col(string_len(BulkJobs::Action, 32))
                    // The whole request (action and options) as JSON.
                    .col(text(BulkJobs::Params))
                    .col(string_len(BulkJobs::State, 16))
                    .col(integer(BulkJobs::Total))
                    .col(integer(BulkJobs::DoneCount).default(0))
                    .col(integer(BulkJobs::FailedCount).default(0))
                    .col(timestamp_with_time_zone(BulkJobs::CreatedAt))
                    .col(timestamp_with_time_zone_null(BulkJobs::FinishedAt))
                    .col(string_null(BulkJobs::RemoteAddr))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BulkJobs::Table, BulkJobs::DomainId)
                            .to(Domains::Table, Domains::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BulkJobs::Table, BulkJobs::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_bulk_jobs_domain_created")
                    .table(BulkJobs::Table)
                    .col(BulkJobs::DomainId)
                    .col(BulkJobs::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BulkJobItems::Table)
                    .col(pk_auto(BulkJobItems::Id))
                    .col(integer(BulkJobItems::JobId))
                    .col(integer_null(BulkJobItems::UserId))
                    // The user as they were when the job started, for the report.
                    .col(string_len(BulkJobItems::Extension, 32))
                    .col(string(BulkJobItems::Name))
                    .col(string_len(BulkJobItems::State, 16))
                    .col(text_null(BulkJobItems::Error))
                    // Which worker holds the item, and until when: a replica that dies lets go when
                    // its lease runs out.
                    .col(string_len_null(BulkJobItems::LeaseOwner, 64))
                    .col(timestamp_with_time_zone_null(BulkJobItems::LeaseUntil))
                    .col(timestamp_with_time_zone_null(BulkJobItems::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BulkJobItems::Table, BulkJobItems::JobId)
                            .to(BulkJobs::Table, BulkJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(BulkJobItems::Table, BulkJobItems::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_bulk_job_items_job", vec![BulkJobItems::JobId, BulkJobItems::State]),
            ("idx_bulk_job_items_claim", vec![BulkJobItems::State, BulkJobItems::LeaseUntil]),
        ] {
            let mut index = Index::create();
            index.name(name).table(BulkJobItems::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        // A user is in at most one unfinished job: the database enforces it even when two admins (or two
        // replicas) start jobs at the same instant. Partial indexes read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_bulk_job_items_pending_user ON bulk_job_items (user_id) \
                 WHERE state = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BulkJobItems::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(BulkJobs::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum BulkJobs {
    Table,
    Id,
    DomainId,
    Actor,
    ActorUserId,
    Action,
    Params,
    State,
    Total,
    DoneCount,
    FailedCount,
    CreatedAt,
    FinishedAt,
    RemoteAddr,
}

#[derive(DeriveIden, Clone, Copy)]
enum BulkJobItems {
    Table,
    Id,
    JobId,
    UserId,
    Extension,
    Name,
    State,
    Error,
    LeaseOwner,
    LeaseUntil,
    FinishedAt,
}
