//! On SQLite, the Users page's search answered from a trigram index, as PostgreSQL's already is
//! (pg_trgm, migration 000007): `users_search`, an FTS5 table of each user's `search_text` with the
//! trigram tokenizer, finds the users whose text holds a word of three characters or more without
//! reading every user of the domain. Shorter words still read the `search_text` index (trigrams cannot
//! find them). The table keeps its own copy of the text (a few dozen bytes a user) so that the triggers
//! that keep it can delete a row by id alone, whatever the text was.
//!
//! The triggers of migration 000007 that keep `search_text` are replaced by ones that keep both, so the
//! two are written in the same statement and cannot disagree (under new names: sqlx on SQLite refuses
//! to create a trigger under the name of one dropped in the same migration). PostgreSQL is unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The search text of the trigger's new row (as migration 000007 defines it).
const NEW_TEXT: &str =
    "lower(NEW.extension || ' ' || NEW.first_name || ' ' || NEW.last_name || ' ' || coalesce(NEW.email, ''))";

/// The triggers of 000007, kept for `down`: the text only.
fn text_only(name: &str, event: &str) -> String {
    format!(
        "CREATE TRIGGER users_search_text_{name} AFTER {event} ON users BEGIN \
         UPDATE users SET search_text = {NEW_TEXT} WHERE id = NEW.id; END"
    )
}

const EVENTS: [(&str, &str); 2] =
    [("insert", "INSERT"), ("update", "UPDATE OF extension, first_name, last_name, email")];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("CREATE VIRTUAL TABLE users_search USING fts5(search_text, tokenize = 'trigram')")
            .await?;
        db.execute_unprepared("INSERT INTO users_search (rowid, search_text) SELECT id, search_text FROM users")
            .await?;
        for (name, event) in EVENTS {
            db.execute_unprepared(&format!("DROP TRIGGER users_search_text_{name}")).await?;
            // On insert there is no row in the index yet; deleting none is harmless.
            db.execute_unprepared(&format!(
                "CREATE TRIGGER users_search_{name} AFTER {event} ON users BEGIN \
                 UPDATE users SET search_text = {NEW_TEXT} WHERE id = NEW.id; \
                 DELETE FROM users_search WHERE rowid = NEW.id; \
                 INSERT INTO users_search (rowid, search_text) VALUES (NEW.id, {NEW_TEXT}); END"
            ))
            .await?;
        }
        db.execute_unprepared(
            "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN \
             DELETE FROM users_search WHERE rowid = OLD.id; END",
        )
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP TRIGGER users_search_delete").await?;
        for (name, event) in EVENTS {
            db.execute_unprepared(&format!("DROP TRIGGER users_search_{name}")).await?;
            db.execute_unprepared(&text_only(name, event)).await?;
        }
        db.execute_unprepared("DROP TABLE users_search").await.map(|_| ())
    }
}
