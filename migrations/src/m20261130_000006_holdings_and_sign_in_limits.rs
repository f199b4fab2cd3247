//! Hardening: every holding of an extension is numbered, and its emails and set-password links carry
//! that number, so that nothing made for a former holder ever works for the next one; sessions know
//! when they were last used (they end after a while idle); failed sign-ins are counted and locks kept
//! in the database, so that every replica applies the same limits.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column at a time. Rows made before this migration
        // all belong to the first holding.
        for (table, column) in [
            (Holdings::Users, Holdings::Holding),
            (Holdings::OutboxMessages, Holdings::Holding),
            (Holdings::PasswordLinks, Holdings::Holding),
        ] {
            manager.alter_table(Table::alter().table(table).add_column(integer(column).default(1)).to_owned()).await?;
        }

        // Sessions made before now were 12-hour persistent cookies; they end with this upgrade and the
        // new ones are browser-session cookies with an idle limit. (SQLite only adds a NOT NULL column
        // with a constant default; no row ever keeps it, as the table is empty from here on.)
        manager.exec_stmt(Query::delete().from_table(Sessions::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(timestamp_with_time_zone(Sessions::LastSeenAt).default("2000-01-01T00:00:00+00:00"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SigninFailures::Table)
                    .col(pk_auto(SigninFailures::Id))
                    // "login:<login as typed, lower case>" or "addr:<client address>".
                    .col(string_len(SigninFailures::Key, 300))
                    .col(timestamp_with_time_zone(SigninFailures::At))
                    .to_owned(),
            )
            .await?;
        // Counting one key's recent failures, and forgetting old ones.
        let indexes = vec![
            ("idx_signin_failures_key_at", vec![SigninFailures::Key, SigninFailures::At]),
            ("idx_signin_failures_at", vec![SigninFailures::At]),
        ];
        crate::indexes::create(manager, SigninFailures::Table, indexes).await?;
        manager
            .create_table(
                Table::create()
                    .table(SigninLocks::Table)
                    .col(string_len(SigninLocks::Key, 300).primary_key())
                    .col(timestamp_with_time_zone(SigninLocks::LockedAt))
                    .col(timestamp_with_time_zone(SigninLocks::Until))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SigninLocks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SigninFailures::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::LastSeenAt).to_owned()).await?;
        for table in [Holdings::PasswordLinks, Holdings::OutboxMessages, Holdings::Users] {
            manager.alter_table(Table::alter().table(table).drop_column(Holdings::Holding).to_owned()).await?;
        }
        Ok(())
    }
}

/// The tables that gain a holding number, and its column.
#[derive(DeriveIden, Clone, Copy)]
enum Holdings {
    Users,
    OutboxMessages,
    PasswordLinks,
    Holding,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    LastSeenAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SigninFailures {
    Table,
    Id,
    Key,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum SigninLocks {
    Table,
    Key,
    LockedAt,
    Until,
}
