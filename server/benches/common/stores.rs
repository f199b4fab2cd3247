//! The databases a bench measures on: a fresh SQLite file, and a fresh database on the PostgreSQL server
//! named by BENCH_DATABASE_URL (if set), for each measurement.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use std::path::Path;

pub enum Store {
    Sqlite(std::path::PathBuf),
    Postgres { admin: DatabaseConnection, server: String, made: std::sync::Mutex<Vec<String>> },
}

impl Store {
    /// SQLite files in `dir`, and PostgreSQL if BENCH_DATABASE_URL names a server.
    pub async fn every(dir: &Path) -> Vec<Store> {
        let mut stores = vec![Store::Sqlite(dir.to_path_buf())];
        stores.extend(Store::postgres().await);
        stores
    }

    /// The PostgreSQL server BENCH_DATABASE_URL names, if it names one.
    pub async fn postgres() -> Option<Store> {
        let server = std::env::var("BENCH_DATABASE_URL").ok()?;
        let admin = Database::connect(&server).await.expect("connect to BENCH_DATABASE_URL");
        Some(Store::Postgres { admin, server, made: Default::default() })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "SQLite",
            Store::Postgres { .. } => "PostgreSQL",
        }
    }

    /// The address of a new, empty database.
    pub async fn fresh(&self) -> String {
        static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match self {
            Store::Sqlite(dir) => format!("sqlite://{}?mode=rwc", dir.join(format!("bench-{n}.db")).display()),
            Store::Postgres { admin, server, made } => {
                let name = format!("sbbench_{}_{n}", std::process::id());
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create a database");
                made.lock().expect("the list").push(name.clone());
                let base = server.rsplit_once('/').map(|(base, _)| base).unwrap_or(server);
                format!("{base}/{name}")
            }
        }
    }

    /// Removes the PostgreSQL databases it made (the SQLite files go with their folder).
    pub async fn drop_all(self) {
        if let Store::Postgres { admin, made, .. } = self {
            for name in made.into_inner().expect("the list") {
                admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.expect("drop it");
            }
        }
    }
}
