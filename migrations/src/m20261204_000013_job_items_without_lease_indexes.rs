//! A job's items are no longer looked up by their lease. The worker takes a job's part of a batch with
//! one `UPDATE … RETURNING` that marks the items done in the transaction that does them, and a leased
//! claim reads its items back with `RETURNING` too (not by the claim's token); every claim chooses a
//! job's pending items, which `idx_bulk_job_items_job` (job, state) finds. The index on an item's holder
//! and the one on state and lease expiry were kept up to date by every item a job writes and every item
//! the worker marks done, for no query: on a 10,000-user reset they cost about 20 ms on SQLite and 30 ms
//! on PostgreSQL (`make bench`). The outbox keeps its holder's index: the mail dispatcher records a
//! claim's attempt by its token.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum BulkJobItems {
    Table,
    State,
    LeaseOwner,
    LeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["idx_bulk_job_items_lease_owner", "idx_bulk_job_items_claim"] {
            manager.drop_index(Index::drop().name(name).table(BulkJobItems::Table).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::indexes::create(
            manager,
            BulkJobItems::Table,
            vec![
                ("idx_bulk_job_items_lease_owner", vec![BulkJobItems::LeaseOwner]),
                ("idx_bulk_job_items_claim", vec![BulkJobItems::State, BulkJobItems::LeaseUntil]),
            ],
        )
        .await
    }
}
