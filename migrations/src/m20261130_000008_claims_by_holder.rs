//! A worker reads back the batch it has just claimed by the claim's token (`leases::claim`): an index
//! on the holder makes that a lookup of the batch, not a scan of every pending job item or message.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEXES: [(&str, &str); 2] =
    [("idx_bulk_job_items_lease_owner", "bulk_job_items"), ("idx_outbox_messages_lease_owner", "outbox_messages")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in INDEXES {
            manager
                .create_index(
                    Index::create().name(name).table(Alias::new(table)).col(Alias::new("lease_owner")).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}
