//! Resets scheduled for a time: a job can wait in state "scheduled" until `run_at` (kept in UTC, with
//! the time zone the admin chose it in, to show it as they did); `started_at` is when it really started
//! (until now every job started when it was made); users a scheduled job leaves out when it starts,
//! because they no longer qualify, are counted as skipped.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time.
        for column in [
            timestamp_with_time_zone_null(BulkJobs::RunAt),
            string_len_null(BulkJobs::TimeZone, 64),
            timestamp_with_time_zone_null(BulkJobs::StartedAt),
            integer(BulkJobs::SkippedCount).default(0).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(BulkJobs::Table).add_column(column).to_owned()).await?;
        }
        manager
            .exec_stmt(
                Query::update()
                    .table(BulkJobs::Table)
                    .value(BulkJobs::StartedAt, Expr::col(BulkJobs::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // The workers look for jobs that are due a few times a second.
        crate::indexes::create(
            manager,
            BulkJobs::Table,
            vec![("idx_bulk_jobs_due", vec![BulkJobs::State, BulkJobs::RunAt])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_bulk_jobs_due").table(BulkJobs::Table).to_owned()).await?;
        for column in [BulkJobs::RunAt, BulkJobs::TimeZone, BulkJobs::StartedAt, BulkJobs::SkippedCount] {
            manager.alter_table(Table::alter().table(BulkJobs::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum BulkJobs {
    Table,
    State,
    CreatedAt,
    RunAt,
    TimeZone,
    StartedAt,
    SkippedCount,
}
