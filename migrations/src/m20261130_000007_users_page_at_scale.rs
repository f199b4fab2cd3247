//! The Users page of a domain of 10,000 users and more, answered from indexes:
//! - `search_text`, a column the database keeps itself (generated): the extension, names and email in
//!   lower case, separated by spaces. A search word (never containing a space) is in one of the four
//!   fields exactly when it is in this text, so one pattern per word replaces four. On PostgreSQL a
//!   trigram index (pg_trgm, in every distribution's contrib and on the managed services) answers
//!   `LIKE '%word%'` from the index. SQLite adds only virtual generated columns to a table, computed at
//!   every read and never covered by an index; there it is a plain column that triggers keep, with a
//!   covering index over it, so that a search reads the small index instead of every user's row.
//! - Each sort order of the page, ending in the extension's order (shorter first, so 99 before 100),
//!   so that a page, the last one included, is read in order from an index rather than sorted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The search text of the row whose columns are prefixed `row` ("" for the table's, "NEW." in a trigger).
fn search_text(row: &str) -> String {
    format!(
        "lower({row}extension || ' ' || {row}first_name || ' ' || {row}last_name || ' ' || coalesce({row}email, ''))"
    )
}

/// The sort orders' indexes: name and columns, the extension's order after them.
const ORDERS: [(&str, &str); 3] = [
    ("idx_users_domain_by_extension", ""),
    ("idx_users_domain_by_status", "status, "),
    ("idx_users_domain_by_name", "last_name, first_name, "),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let text = search_text("");
        // PostgreSQL reads a page's ids from the index alone only if they are in it.
        let (length, include, statements) = match manager.get_database_backend() {
            DbBackend::Postgres => (
                "char_length",
                " INCLUDE (id)",
                vec![
                    format!("ALTER TABLE users ADD COLUMN search_text text GENERATED ALWAYS AS ({text}) STORED"),
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_string(),
                    "CREATE INDEX idx_users_search ON users USING gin (search_text gin_trgm_ops)".to_string(),
                ],
            ),
            _ => {
                let mut statements = vec![
                    "ALTER TABLE users ADD COLUMN search_text text NOT NULL DEFAULT ''".to_string(),
                    format!("UPDATE users SET search_text = {text}"),
                    "CREATE INDEX idx_users_search ON users (domain_id, search_text)".to_string(),
                ];
                for (name, event) in
                    [("insert", "INSERT"), ("update", "UPDATE OF extension, first_name, last_name, email")]
                {
                    statements.push(format!(
                        "CREATE TRIGGER users_search_text_{name} AFTER {event} ON users BEGIN \
                         UPDATE users SET search_text = {} WHERE id = NEW.id; END",
                        search_text("NEW.")
                    ));
                }
                ("length", "", statements)
            }
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        // Superseded by the sort order's index, which starts with the same columns.
        db.execute_unprepared("DROP INDEX idx_users_domain_last_name").await?;
        for (name, columns) in ORDERS {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON users (domain_id, {columns}{length}(extension), extension){include}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _) in ORDERS {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        db.execute_unprepared("DROP INDEX idx_users_search").await?;
        if manager.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("DROP TRIGGER users_search_text_insert").await?;
            db.execute_unprepared("DROP TRIGGER users_search_text_update").await?;
        }
        db.execute_unprepared("ALTER TABLE users DROP COLUMN search_text").await?;
        db.execute_unprepared("CREATE INDEX idx_users_domain_last_name ON users (domain_id, last_name, first_name)")
            .await
            .map(|_| ())
    }
}
