//! The store itself: the backend the tests were asked for, SQLite's settings, and migrations that can
//! run again.

use crate::common;

use app::server::db;
use common::TestApp;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

async fn scalar(app: &TestApp, sql: &str) -> String {
    let row =
        app.db.query_one(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap().expect("one row");
    row.try_get_by_index::<String>(0).or_else(|_| row.try_get_by_index::<i32>(0).map(|n| n.to_string())).unwrap()
}

#[test]
fn the_tests_run_on_the_backend_they_were_given() {
    common::run(async {
        let app = TestApp::new().await;
        let wanted = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => DbBackend::Postgres,
            _ => DbBackend::Sqlite,
        };
        assert_eq!(app.db.get_database_backend(), wanted);
    })
}

#[test]
fn sqlite_runs_in_wal_mode_with_a_busy_timeout_and_a_bounded_page_cache() {
    common::run(async {
        let app = TestApp::new().await;
        if app.db.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        assert_eq!(scalar(&app, "PRAGMA journal_mode").await, "wal");
        assert_eq!(scalar(&app, "PRAGMA busy_timeout").await, "15000");
        assert_eq!(scalar(&app, "PRAGMA foreign_keys").await, "1");
        // 512 KiB per pooled connection, not SQLite's 2 MiB: the server's memory stays level (`make soak`).
        assert_eq!(scalar(&app, "PRAGMA cache_size").await, "-512");
    })
}

#[test]
fn opening_a_migrated_database_again_changes_nothing() {
    common::run(async {
        let app = TestApp::new().await;
        app.domain("a.example", "R1").await;
        let again = db::connect(&app.url).await.expect("a second start migrates nothing and fails nothing");
        let count = again
            .query_one(Statement::from_string(again.get_database_backend(), "SELECT COUNT(*) AS n FROM domains"))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(count, 1);
    })
}

#[test]
fn replicas_starting_together_on_postgresql_migrate_once() {
    common::run(async {
        let (url, _store) = common::fresh_database().await;
        if !url.starts_with("postgres") {
            return; // SQLite serves one process; replicas are a PostgreSQL matter.
        }
        let (a, b, c) = tokio::join!(db::connect(&url), db::connect(&url), db::connect(&url));
        let replicas = [a.expect("replica a"), b.expect("replica b"), c.expect("replica c")];
        let applied = replicas[0]
            .query_one(Statement::from_string(DbBackend::Postgres, "SELECT COUNT(*) FROM seaql_migrations"))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        let migrations = i64::try_from(Migrator::migrations().len()).unwrap();
        assert_eq!(applied, migrations, "each migration recorded once");
    })
}
