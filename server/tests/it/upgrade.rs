//! Upgrades lose nothing: a database made by the oldest supported schema (the first release's, the
//! migrations of 2026-11-27), committed under `server/tests/fixtures/` as a SQLite file and a PostgreSQL
//! dump with rows in every table, migrates to the current schema with every row kept, and the portal
//! serves it. A new migration that changes existing rows adds rows here for what it changes, and says
//! what it expects of them below.
//!
//! The fixtures were made by `make_the_oldest_fixtures` (ignored; run it by hand only to remake them:
//! `cargo test -p server --test it make_the_oldest_fixtures -- --ignored`).

use crate::common::{self, TestApp, PASSWORD};
use app::server::bulk::progress;
use app::server::db::{self, schema};
use app::server::entities::{bulk_job, user};
use app::shared::bulk::{JobAction, JobState, JobSummary, ResetOptions};
use app::shared::model::UserStatus;
use app::ui::pages::activity::RecentJobs;
use axum::http::StatusCode;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryOrder, Statement};
use std::path::PathBuf;

/// Migrations of the oldest supported schema.
const OLDEST: u32 = 5;

/// Every table of the oldest schema, each of which the fixture gives rows.
const TABLES: [&str; 17] = [
    "resellers",
    "domains",
    "users",
    "devices",
    "voicemail_messages",
    "voicemail_greetings",
    "answering_rules",
    "contacts",
    "call_history",
    "call_queues",
    "queue_memberships",
    "phone_numbers",
    "sessions",
    "audit_log",
    "bulk_jobs",
    "bulk_job_items",
    "outbox_messages",
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The rows, as the first release wrote them: its enums' words, its jobs' JSON. `{hash}` is the
/// fixtures' password hashed.
const ROWS: &str = r#"
INSERT INTO resellers (id, name, created_at) VALUES (1, 'R1', '2026-11-27 09:00:00+00:00');
INSERT INTO domains (id, reseller_id, name, description, portal_security, voicemail_to_email, created_at)
  VALUES (1, 1, 'old.example', 'Made by the first release', false, true, '2026-11-27 09:00:00+00:00');
INSERT INTO users (id, domain_id, extension, first_name, last_name, email, login, password_hash, voicemail_pin_hash,
                   scope, status, must_change_password, created_at, updated_at) VALUES
  (1, 1, '200', 'Olga', 'Manager', 'olga@old.example', '200@old.example', '{hash}', NULL, 'office-manager', 'active', false, '2026-11-27 09:00:00+00:00', '2026-11-27 09:00:00+00:00'),
  (2, 1, '201', 'Ben', 'Kept', 'ben@old.example', '201@old.example', '{hash}', '{hash}', 'basic-user', 'active', false, '2026-11-27 09:00:00+00:00', '2026-11-27 09:00:00+00:00'),
  (3, 1, '202', '', '', NULL, '202@old.example', NULL, NULL, 'basic-user', 'setup-required', false, '2026-11-27 09:00:00+00:00', '2026-11-27 10:00:00+00:00'),
  (4, 1, '203', 'Cleo', 'Waiting', 'cleo@old.example', '203@old.example', NULL, NULL, 'basic-user', 'password-required', true, '2026-11-27 09:00:00+00:00', '2026-11-27 09:00:00+00:00');
INSERT INTO devices (id, user_id, mac, model, sip_username, sip_password, created_at)
  VALUES (1, 2, '00:11:22:33:44:55', 'Yealink T54W', '201x1', 'sip-secret', '2026-11-27 09:00:00+00:00');
INSERT INTO voicemail_messages (id, user_id, folder, caller_id, duration_secs, received_at)
  VALUES (1, 2, 'new', '+15550000001', 12, '2026-11-27 09:00:00+00:00');
INSERT INTO voicemail_greetings (id, user_id, name, duration_secs, active, created_at)
  VALUES (1, 2, 'Unavailable', 8, true, '2026-11-27 09:00:00+00:00');
INSERT INTO answering_rules (id, user_id, name, priority, forward_to, enabled)
  VALUES (1, 2, 'After Hours', 0, 'voicemail', true);
INSERT INTO contacts (id, user_id, first_name, last_name, phone, email)
  VALUES (1, 2, 'Pat', 'Client', '+15550000002', NULL);
INSERT INTO call_history (id, user_id, direction, remote_number, started_at, duration_secs)
  VALUES (1, 2, 'inbound', '+15550000003', '2026-11-27 09:00:00+00:00', 60);
INSERT INTO call_queues (id, domain_id, name, extension) VALUES (1, 1, 'Sales', '600');
INSERT INTO queue_memberships (id, user_id, queue_id, priority) VALUES (1, 2, 1, 1);
INSERT INTO phone_numbers (id, domain_id, number, user_id) VALUES (1, 1, '+15550100201', 2);
INSERT INTO sessions (id, user_id, created_at, expires_at, remote_addr, user_agent)
  VALUES ('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 1, '2026-11-27 09:00:00+00:00', '2026-11-27 21:00:00+00:00', '127.0.0.1', 'Firefox');
INSERT INTO audit_log (id, at, actor, actor_user_id, domain_id, action, target_user_id, detail, remote_addr) VALUES
  (1, '2026-11-27 10:00:00+00:00', '200@old.example', 1, 1, 'user_reset', 3, '{"job":1}', '127.0.0.1'),
  (2, '2026-11-27 10:00:00+00:00', '200@old.example', 1, 1, 'bulk_job_finished', NULL, '{"job":1}', NULL);
INSERT INTO bulk_jobs (id, domain_id, actor, actor_user_id, action, params, state, total, done_count, failed_count,
                       created_at, finished_at, remote_addr) VALUES
  (1, 1, '200@old.example', 1, 'reset', '{"action":"reset","options":["name","email-address","password","voicemail-pin","devices"],"recycle":false}', 'finished', 1, 1, 0, '2026-11-27 10:00:00+00:00', '2026-11-27 10:00:01+00:00', '127.0.0.1'),
  (2, 1, '200@old.example', 1, 'force-password-reset', '{"action":"force-password-reset"}', 'finished', 1, 1, 0, '2026-11-27 11:00:00+00:00', '2026-11-27 11:00:01+00:00', '127.0.0.1');
INSERT INTO bulk_job_items (id, job_id, user_id, extension, name, state, error, lease_owner, lease_until, finished_at) VALUES
  (1, 1, 3, '202', 'Dan Gone', 'done', NULL, NULL, NULL, '2026-11-27 10:00:01+00:00'),
  (2, 2, 4, '203', 'Cleo Waiting', 'done', NULL, NULL, NULL, '2026-11-27 11:00:01+00:00');
INSERT INTO outbox_messages (id, domain_id, user_id, kind, recipient, subject, state, attempts, next_attempt_at,
                             last_error, lease_owner, lease_until, requester, created_at, sent_at) VALUES
  (1, 1, 4, 'password-reset', 'cleo@old.example', 'Choose a new password', 'sent', 1, '2026-11-27 11:00:01+00:00', NULL, NULL, NULL, '200@old.example', '2026-11-27 11:00:01+00:00', '2026-11-27 11:00:02+00:00');
"#;

/// Each table's rows.
async fn counts(db: &DatabaseConnection) -> Vec<(&'static str, i64)> {
    let mut counts = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let row = db.query_one(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
        counts.push((table, row.try_get_by_index::<i64>(0).unwrap()));
    }
    counts
}

#[test]
fn a_database_of_the_oldest_schema_migrates_with_every_row_and_is_served() {
    common::run(async {
        let (url, _store) = common::fresh_database().await;
        let dir = tempfile::tempdir().unwrap();
        let url = match &url {
            postgres if postgres.starts_with("postgres") => {
                let dump = fixture("oldest.postgres.sql");
                let loaded = std::process::Command::new("psql")
                    .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", postgres, "--file"])
                    .arg(&dump)
                    .output()
                    .expect("psql runs");
                assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
                postgres.clone()
            }
            _ => {
                let file = dir.path().join("oldest.sqlite");
                std::fs::copy(fixture("oldest.sqlite"), &file).unwrap();
                format!("sqlite://{}?mode=rwc", file.display())
            }
        };
        let before = db::open(&url).await.unwrap();
        let status = schema::status(&before).await.unwrap();
        assert_eq!(status.applied, schema::known()[..OLDEST as usize], "the fixture is of the oldest schema");
        let rows = counts(&before).await;
        assert!(rows.iter().all(|(_, n)| *n > 0), "every table has rows: {rows:?}");
        before.close().await.unwrap();

        let app = TestApp::at(&url).await;
        assert_eq!(schema::status(&app.db).await.unwrap().pending, Vec::<String>::new());
        // Every row survived, but the sessions, which m20261130_000006 ends on purpose (the cookies of the
        // first release lasted 12 hours; the new ones end with the browser or when idle).
        let expected: Vec<(&str, i64)> =
            rows.iter().map(|&(table, n)| (table, if table == "sessions" { 0 } else { n })).collect();
        assert_eq!(counts(&app.db).await, expected, "every row survived");
        let users = user::Entity::find().order_by_asc(user::Column::Id).all(&app.db).await.unwrap();
        let named: Vec<(&str, &str, UserStatus)> =
            users.iter().map(|user| (user.extension.as_str(), user.first_name.as_str(), user.status)).collect();
        assert_eq!(
            named,
            [
                ("200", "Olga", UserStatus::Active),
                ("201", "Ben", UserStatus::Active),
                ("202", "", UserStatus::SetupRequired),
                ("203", "Cleo", UserStatus::PasswordRequired)
            ]
        );
        // The first release's jobs read as today's.
        let jobs = bulk_job::Entity::find().order_by_asc(bulk_job::Column::Id).all(&app.db).await.unwrap();
        let actions: Vec<JobAction> = jobs.iter().map(|job| progress::action_of(job).unwrap()).collect();
        assert_eq!(
            actions,
            [
                JobAction::Reset { options: ResetOptions::defaults(), recycle: false },
                JobAction::ForcePasswordReset { revoke: false }
            ]
        );
        assert!(jobs.iter().all(|job| job.state == JobState::Finished && job.started_at.is_some()));

        // The portal serves it: its Office Manager signs in and sees the users and the jobs.
        let session = app.sign_in("200@old.example", PASSWORD).await;
        let (code, _, page) = app.get("/domains/old.example/users", Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        for name in ["Olga Manager", "Ben Kept", "Cleo Waiting"] {
            assert!(page.contains(name), "{name} on the Users page");
        }
        // The search indexes made since (a trigram table on SQLite) hold the old rows.
        let (code, _, found) = app.get("/domains/old.example/users?q=kept", Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        assert!(found.contains("Ben Kept") && !found.contains("Cleo Waiting"), "{found}");
        let (code, jobs) = app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        let summaries: Vec<(String, Option<String>)> =
            jobs.unwrap().iter().map(|job| (job.progress.summary(), job.finished.clone())).collect();
        assert_eq!(
            summaries,
            [
                ("1 of 1 user must change password".to_string(), Some("2026-11-27 11:00 UTC".to_string())),
                ("1 of 1 user reset".to_string(), Some("2026-11-27 10:00 UTC".to_string()))
            ]
        );
        // An identity provider finds the domain's three holders, made before there was SCIM.
        let token = crate::scim::token(&app, "old.example").await;
        let (code, people) = crate::scim::scim(&app, &token, "GET", "/Users", None).await;
        assert_eq!((code, people["totalResults"].as_u64()), (StatusCode::OK, Some(3)), "{people}");
    })
}

/// Migrations of the schema m20261206_000014 (a holder the identity provider has seen) migrates from.
const BEFORE_PEOPLE_SEEN: u32 = 13;

#[test]
fn holders_an_identity_provider_saw_before_the_upgrade_count_as_seen_and_the_others_are_found() {
    common::run(async {
        let (url, _store) = common::fresh_database().await;
        let before = db::open(&url).await.unwrap();
        Migrator::up(&before, Some(OLDEST)).await.unwrap();
        write_rows(&before).await;
        // `up` takes how many more to apply.
        Migrator::up(&before, Some(BEFORE_PEOPLE_SEEN - OLDEST)).await.unwrap();
        // The identity provider had seen Ben (201) only, in his holding (the first, 1).
        before
            .execute_unprepared(
                "INSERT INTO scim_users (domain_id, user_id, holding, user_name, user_name_key, given_name, family_name, \
                 email, created_at, updated_at) VALUES (1, 2, 1, 'ben@old.example', 'ben@old.example', 'Ben', 'Kept', \
                 'ben@old.example', '2026-12-04 09:00:00+00:00', '2026-12-04 09:00:00+00:00')",
            )
            .await
            .unwrap();
        before.close().await.unwrap();

        let app = TestApp::at(&url).await;
        let sql = "SELECT extension, person_holding FROM users ORDER BY id";
        let rows = app.db.query_all(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();
        let seen: Vec<(String, i32)> =
            rows.iter().map(|row| (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap())).collect();
        let expected = [("200", -1), ("201", 1), ("202", -1), ("203", -1)];
        assert_eq!(seen, expected.map(|(extension, holding)| (extension.to_string(), holding)));
        // Olga and Cleo are given their rows once a token is made; Ben keeps his.
        let token = crate::scim::token(&app, "old.example").await;
        let (code, people) = crate::scim::scim(&app, &token, "GET", "/Users", None).await;
        assert_eq!((code, people["totalResults"].as_u64()), (StatusCode::OK, Some(3)), "{people}");
        let ben = people["Resources"].as_array().unwrap().iter().find(|person| person["name"]["givenName"] == "Ben");
        assert_eq!(ben.map(|ben| ben["id"].as_str()), Some(Some("1")), "{people}");
    })
}

/// Writes `ROWS` into a database of the oldest schema.
async fn write_rows(db: &DatabaseConnection) {
    let hash = app::server::auth::passwords::hash(PASSWORD.to_string()).await.unwrap();
    db.execute_unprepared(&ROWS.replace("{hash}", &hash)).await.unwrap();
    if db.get_database_backend() == DbBackend::Postgres {
        // Ids were given: the sequences go on after them, as they would have.
        for table in TABLES.iter().filter(|table| **table != "sessions") {
            let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
            db.execute_unprepared(&sql).await.unwrap();
        }
    }
}

/// Remakes the fixtures (see the module's comment): the oldest schema, then `ROWS`, on SQLite and on
/// the PostgreSQL server of `TEST_DATABASE_URL` (or the local one), dumped with `pg_dump`.
#[test]
#[ignore = "remakes the committed fixtures; run by hand"]
fn make_the_oldest_fixtures() {
    common::run(async {
        let file = fixture("oldest.sqlite");
        let _ = std::fs::remove_file(&file);
        let dir = tempfile::tempdir().unwrap();
        let sqlite = db::open(&format!("sqlite://{}?mode=rwc", dir.path().join("oldest.db").display())).await.unwrap();
        Migrator::up(&sqlite, Some(OLDEST)).await.unwrap();
        write_rows(&sqlite).await;
        // One self-contained file: no write-ahead log beside it.
        let into = Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [file.to_string_lossy().into()]);
        sqlite.execute(into).await.unwrap();
        sqlite.close().await.unwrap();

        let server = std::env::var("TEST_DATABASE_URL").unwrap_or("postgres://postgres@127.0.0.1:5432/test".into());
        let admin = sea_orm::Database::connect(&server).await.unwrap();
        let name = "switchboard_oldest_fixture";
        let drop = format!("DROP DATABASE IF EXISTS {name}");
        admin.execute(Statement::from_string(DbBackend::Postgres, drop.clone())).await.unwrap();
        admin.execute(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE {name}"))).await.unwrap();
        let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
        let postgres = db::open(&url).await.unwrap();
        Migrator::up(&postgres, Some(OLDEST)).await.unwrap();
        write_rows(&postgres).await;
        postgres.close().await.unwrap();
        let dumped = std::process::Command::new("pg_dump")
            .args(["--no-owner", "--no-privileges", "--dbname", &url, "--file"])
            .arg(fixture("oldest.postgres.sql"))
            .output()
            .unwrap();
        assert!(dumped.status.success(), "{}", String::from_utf8_lossy(&dumped.stderr));
        admin.execute(Statement::from_string(DbBackend::Postgres, drop)).await.unwrap();
    })
}
