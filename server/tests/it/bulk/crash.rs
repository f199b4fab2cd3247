//! The real server process killed (SIGKILL) in the middle of a job: every user is either fully reset or
//! untouched, and a restarted server finishes the job, resetting each user exactly once.

use crate::common::{self, TestApp, PASSWORD};
use app::server::entities::{audit_log, bulk_job, bulk_job_item, device, user};
use app::shared::bulk::Targets;
use app::shared::bulk::{ItemState, JobProgress, JobState, ResetOptions, ResetRequest, When};
use app::shared::model::UserStatus;
use app::ui::components::bulk_action::reset_step::StartReset;
use axum::http::StatusCode;
use sea_orm::{prelude::*, QueryFilter};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const USERS: i32 = 200;

/// `switchboard serve` on the test's database, resetting one user per transaction, back to back, so that
/// a kill most likely lands inside one.
fn serve(app: &TestApp) -> Child {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("DATABASE_URL", &app.url)
        .env("LEPTOS_OUTPUT_NAME", "switchboard")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("BULK_BATCH_SIZE", "1")
        .env("BULK_BATCH_PAUSE_MS", "0")
        .env("BULK_LEASE_SECS", "2")
        .env("RUST_LOG", "warn")
        // No email is sent here; keep the dispatcher's folder out of the source tree.
        .env("OUTBOX_DIR", std::env::temp_dir().join("switchboard-crash-test-outbox"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start switchboard serve")
}

async fn job(app: &TestApp, id: i32) -> bulk_job::Model {
    bulk_job::Entity::find_by_id(id).one(&app.db).await.unwrap().expect("the job")
}

/// Waits until `done(job)` holds, or fails after `limit`.
async fn wait_for(app: &TestApp, id: i32, limit: Duration, done: impl Fn(&bulk_job::Model) -> bool) -> bulk_job::Model {
    let started = Instant::now();
    loop {
        let now = job(app, id).await;
        if done(&now) {
            return now;
        }
        assert!(started.elapsed() < limit, "the job got no further than {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn a_server_killed_mid_job_leaves_no_user_half_reset_and_the_next_one_finishes_the_job() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let mut ids = Vec::new();
        for n in 0..USERS {
            let extension = (400 + n).to_string();
            app.user_without_password("a.example", &extension, "Kim", "Doe").await;
            let id = app.user_id(&format!("{extension}@a.example")).await;
            app.device(id, 0).await;
            ids.push(id);
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let request = ResetRequest {
            targets: Targets::Ticked(ids.clone()),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        let (code, started) =
            app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        let id = started.unwrap().id;

        let mut server = serve(&app);
        wait_for(&app, id, Duration::from_secs(60), |job| job.done_count >= 20).await;
        server.kill().expect("SIGKILL the server");
        server.wait().expect("reap it");

        // Each user is either reset and marked done, or untouched and still pending; never half.
        let interrupted = job(&app, id).await;
        assert_eq!(interrupted.state, JobState::Running);
        assert!(interrupted.done_count < USERS, "the kill came too late to prove anything");
        let items =
            bulk_job_item::Entity::find().filter(bulk_job_item::Column::JobId.eq(id)).all(&app.db).await.unwrap();
        let mut done = 0;
        for item in &items {
            let user_id = item.user_id.expect("a user");
            let user = user::Entity::find_by_id(user_id).one(&app.db).await.unwrap().unwrap();
            let devices =
                device::Entity::find().filter(device::Column::UserId.eq(user_id)).count(&app.db).await.unwrap();
            let reset = (user.status, user.first_name.as_str(), devices) == (UserStatus::SetupRequired, "", 0);
            let untouched =
                (user.status, user.first_name.as_str(), devices) == (UserStatus::PasswordRequired, "Kim", 1);
            match item.state {
                ItemState::Done => {
                    assert!(reset, "{} is marked done but is {user:?} with {devices} devices", item.extension)
                }
                ItemState::Pending => {
                    assert!(untouched, "{} is pending but is {user:?} with {devices} devices", item.extension)
                }
                ItemState::Failed | ItemState::Cancelled | ItemState::Skipped => {
                    panic!("{} is {:?}: {:?}", item.extension, item.state, item.error)
                }
            }
            done += i32::from(item.state == ItemState::Done);
        }
        assert_eq!(done, interrupted.done_count, "the job's count agrees with its users");

        // A new server resumes the job (after the dead one's lease, on PostgreSQL) and finishes it.
        let mut server = serve(&app);
        let finished = wait_for(&app, id, Duration::from_secs(60), |job| job.state == JobState::Finished).await;
        server.kill().expect("stop the server");
        server.wait().expect("reap it");
        assert_eq!((finished.done_count, finished.failed_count), (USERS, 0));
        for user_id in ids {
            let resets = audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq("user_reset"))
                .filter(audit_log::Column::TargetUserId.eq(user_id))
                .count(&app.db)
                .await
                .unwrap();
            assert_eq!(resets, 1, "user {user_id} was reset {resets} times");
        }
    })
}
