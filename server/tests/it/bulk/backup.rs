//! Backups of the SQLite database taken while a reset runs hold each user whole (reset and marked done,
//! or untouched and pending), and restore to exactly the state they copied; a restore never replaces a
//! database in use, nor with a file that is not a backup.

use super::*;
use crate::common::{self, TestApp};
use app::server::bulk::hold::{self, Pace};
use app::server::bulk::worker::{self, Worker};
use app::server::db::backup::{self, BackupError, ServeLock};
use app::server::entities::{bulk_job, bulk_job_item, user};
use app::shared::bulk::ItemState;
use app::shared::model::UserStatus;
use sea_orm::DbBackend;
use std::path::Path;

const USERS: u32 = 60;
/// Users done when the operator's hold stops the job.
const HELD_AFTER: u32 = 25;

/// Each user's item done and their data gone, or pending with their data all there; the job's count
/// agrees. Returns how many are done.
async fn each_user_whole(app: &TestApp, ids: &[i32]) -> u64 {
    let mut done = 0;
    for id in ids {
        let item = bulk_job_item::Entity::find()
            .filter(bulk_job_item::Column::UserId.eq(*id))
            .one(&app.db)
            .await
            .unwrap()
            .expect("an item per user");
        let user = snapshot(app, *id).await;
        let rows: u64 = user.rows.values().sum();
        match item.state {
            ItemState::Done => {
                assert_eq!((user.user.status, rows), (UserStatus::SetupRequired, 0), "user {id} done but not reset");
                done += 1;
            }
            ItemState::Pending => {
                assert_eq!(user.user.status, UserStatus::PasswordRequired, "user {id} pending but changed");
                assert_eq!(rows, DEVICES + MESSAGES + 5 * OTHER_ROWS, "user {id} pending but lost data");
            }
            other => panic!("user {id} is {other:?}"),
        }
    }
    let job = bulk_job::Entity::find().one(&app.db).await.unwrap().expect("the job");
    assert_eq!(job.done_count as u64, done, "the job counts what its items say");
    done
}

#[test]
fn a_backup_during_a_reset_restores_to_a_committed_state_with_no_half_reset_user() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        if app.db.get_database_backend() != DbBackend::Sqlite {
            return; // PostgreSQL is backed up with pg_dump.
        }
        let queue = queue(&app, "a.example").await;
        let mut ids = Vec::new();
        for extension in 300..300 + USERS {
            app.user_without_password("a.example", &extension.to_string(), "Bo", "Backup").await;
            let id = app.user_id(&format!("{extension}@a.example")).await;
            give_data(&app, id, queue, extension as i32).await;
            ids.push(id);
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        // The job stands still part-way, where the operator's hold stops it: a known committed state.
        hold::set(&app.db, "a.example", Pace::HeldAfter(HELD_AFTER)).await.unwrap();
        start(&app, &session, "a.example", request(ids.clone(), ResetOptions::all())).await.1.unwrap();
        let config = worker::Config { batch_size: 10, ..worker::Config::default() };
        let held = Worker::new(app.db.clone(), config.clone());
        common::until_idle(ids.len(), || async { held.run_once().await.unwrap() }).await;

        let dir = tempfile::tempdir().unwrap();
        let part_way = dir.path().join("part-way.db");
        let counts = backup::backup(&app.db, &part_way).await.unwrap();
        assert!(counts.0.contains(&("users", u64::from(USERS) + 8)), "{counts}");

        // Another backup while the worker runs on: whenever it is taken, every user in it is whole.
        hold::set(&app.db, "a.example", Pace::Free).await.unwrap();
        let running = worker::spawn(app.db.clone(), config).await.unwrap();
        let during = dir.path().join("during.db");
        backup::backup(&app.db, &during).await.unwrap();
        running.stop().await;
        let copy = restored(dir.path(), "copy-of-during.db", &during).await;
        let done = each_user_whole(&copy, &ids).await;
        assert!(done >= u64::from(HELD_AFTER), "{done}");

        // The part-way backup restored: exactly the users done by then, and the job still running.
        let restored = restored(dir.path(), "restored.db", &part_way).await;
        assert_eq!(each_user_whole(&restored, &ids).await, u64::from(HELD_AFTER));
        let job = bulk_job::Entity::find().one(&restored.db).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Running);
        // The portal serves it: the Office Manager signs in to it as before.
        restored.sign_in(&fixture.office_manager, PASSWORD).await;
    })
}

/// `backup` restored to a new database `name` in `dir`, opened as a portal.
async fn restored(dir: &Path, name: &str, backup: &Path) -> TestApp {
    let url = format!("sqlite://{}?mode=rwc", dir.join(name).display());
    let (_, replaced) = backup::restore(&url, backup).await.expect("restored");
    assert_eq!(replaced, None, "nothing was there to replace");
    TestApp::at(&url).await
}

#[test]
fn a_restore_refuses_a_database_in_use_or_a_file_that_is_not_a_backup_and_changes_nothing() {
    common::run(async {
        let app = TestApp::new().await;
        if app.db.get_database_backend() != DbBackend::Sqlite {
            let refused = backup::backup(&app.db, Path::new("/tmp/never.db")).await.unwrap_err();
            assert!(matches!(refused, BackupError::NotSqlite), "{refused}");
            return;
        }
        app.domain("a.example", "R1").await;
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.db");
        backup::backup(&app.db, &copy).await.unwrap();
        app.domain("b.example", "R1").await;

        // The test's database is "served": a restore over it is refused and it keeps both domains.
        let file = backup::sqlite_file(&app.url).unwrap();
        let serving = ServeLock::take(&file).unwrap();
        let refused = backup::restore(&app.url, &copy).await.unwrap_err();
        assert!(matches!(&refused, BackupError::InUse(path) if *path == file), "{refused}");
        assert!(refused.to_string().contains("stop it, then restore"), "{refused}");
        assert!(matches!(ServeLock::take(&file), Err(BackupError::InUse(_))), "one server per database");
        drop(serving);
        app.domain("c.example", "R1").await;

        // Not a backup: a text file, a missing file.
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database").unwrap();
        for bad in [text, dir.path().join("missing.db")] {
            let refused = backup::restore(&app.url, &bad).await.unwrap_err();
            assert!(matches!(refused, BackupError::NotABackup(..)), "{refused}");
        }
        let domains = app::server::entities::domain::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(domains, 3, "nothing was changed");

        // A backup never overwrites a file, nor writes where it cannot.
        let refused = backup::backup(&app.db, &copy).await.unwrap_err();
        assert!(matches!(refused, BackupError::Exists(_)), "{refused}");
        let refused = backup::backup(&app.db, &dir.path().join("no-such-folder/b.db")).await.unwrap_err();
        assert!(matches!(refused, BackupError::Unwritable(..)), "{refused}");
        assert!(!dir.path().join("no-such-folder").exists());
    })
}

/// A tiny tmpfs mounted for the test, unmounted when dropped (even when the test fails).
struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    /// `None` where this process may not mount (not root): the full disk is then not tried.
    fn mount() -> Option<TinyDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output()
            .ok()?;
        mounted.status.success().then_some(TinyDisk { dir })
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn a_backup_onto_a_full_disk_says_so_and_leaves_nothing_behind() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        if app.db.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let Some(disk) = TinyDisk::mount() else {
            eprintln!("not root: a full disk is not simulated here");
            return;
        };
        let to = disk.dir.path().join("monday.db");
        let refused = backup::backup(&app.db, &to).await.unwrap_err();
        assert!(matches!(refused, BackupError::Unwritable(..)), "{refused}");
        assert!(refused.to_string().contains("full"), "{refused}");
        let left: Vec<_> = std::fs::read_dir(disk.dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
        // The database itself goes on.
        app.domain("d.example", "R1").await;
    })
}

#[test]
fn two_backups_to_one_file_at_once_leave_one_whole_copy_and_refuse_the_other() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        if app.db.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("same.db");
        let (a, b) = tokio::join!(backup::backup(&app.db, &to), backup::backup(&app.db, &to));
        assert_eq!([&a, &b].iter().filter(|made| made.is_ok()).count(), 1, "{a:?} {b:?}");
        let restored = restored(dir.path(), "check.db", &to).await;
        assert_eq!(user::Entity::find().count(&restored.db).await.unwrap(), 8);
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert!(!files.iter().any(|name| name.to_string_lossy().contains("partial")), "a partial copy left: {files:?}");
    })
}
