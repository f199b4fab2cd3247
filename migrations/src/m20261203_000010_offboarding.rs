//! Offboarding that the person leaving cannot dodge:
//! - every user has a session epoch, moved on by anything that signs them out everywhere (a reset, a
//!   recycle, a forced password reset, a password changed); a session carries the epoch it was made in
//!   and works only while that is still the user's, so a sign-in that overlaps a reset leaves nothing;
//! - a job remembers which holding of its admin's extension made it, so that a scheduled job whose
//!   admin has been reset since does nothing;
//! - an operator can hold a domain's bulk work (`switchboard jobs hold`), letting through a given
//!   number of users more, or none;
//! - sign-in attempts are counted per key in one row whose count is taken from atomically, before a
//!   password is checked, instead of one row per failure counted afterwards (which a burst of
//!   attempts sent together could outrun); the old failure rows go.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time. Sessions made before this
        // migration belong to epoch 0, as every user does.
        let columns = [
            (Tables::Users, integer(Tables::SessionEpoch).default(0).to_owned()),
            (Tables::Sessions, integer(Tables::Epoch).default(0).to_owned()),
            (Tables::BulkJobs, integer_null(Tables::ActorHolding)),
            (Tables::Domains, integer_null(Tables::BulkAllowance)),
        ];
        for (table, column) in columns {
            manager.alter_table(Table::alter().table(table).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SigninCounts::Table)
                    // "account:<id>", "login:<login as typed, lower case>" or "addr:<address or /64>".
                    .col(string_len(SigninCounts::Key, 300).primary_key())
                    .col(integer(SigninCounts::Attempts))
                    .col(timestamp_with_time_zone(SigninCounts::Since))
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(SigninFailures::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigninFailures::Table)
                    .col(pk_auto(SigninFailures::Id))
                    .col(string_len(SigninFailures::Key, 300))
                    .col(timestamp_with_time_zone(SigninFailures::At))
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(SigninCounts::Table).to_owned()).await?;
        for (table, column) in [
            (Tables::Users, Tables::SessionEpoch),
            (Tables::Sessions, Tables::Epoch),
            (Tables::BulkJobs, Tables::ActorHolding),
            (Tables::Domains, Tables::BulkAllowance),
        ] {
            manager.alter_table(Table::alter().table(table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Tables {
    Users,
    SessionEpoch,
    Sessions,
    Epoch,
    BulkJobs,
    ActorHolding,
    Domains,
    BulkAllowance,
}

#[derive(DeriveIden, Clone, Copy)]
enum SigninCounts {
    Table,
    Key,
    Attempts,
    Since,
}

#[derive(DeriveIden, Clone, Copy)]
enum SigninFailures {
    Table,
    Id,
    Key,
    At,
}
