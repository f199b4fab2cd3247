//! Resets scheduled for a time: the job waits, holding its users, until its time; then exactly one of
//! several workers (replicas) starts it, checking the rules again and skipping, with the reason, users
//! who no longer qualify; a cancelled one never starts; "Run now" starts it at once.

use super::*;
use crate::common::{self, Session, TestApp};
use app::server::bulk::worker::{self, Worker};
use app::server::entities::{audit_log, bulk_job};
use app::shared::bulk::{ItemState, JobProgress, JobState, ResetOptions, When};
use app::shared::model::{Scope, UserStatus};
use app::ui::components::job_widgets::{CancelJob, RunScheduledJob, RunningJobs};
use axum::http::StatusCode;
use sea_orm::{prelude::*, QueryFilter};
use std::time::Duration;

const ZONE: &str = "Europe/Berlin";

/// A day ahead: the tests bring a job's time forward themselves (`make_due`) rather than wait for it,
/// so that nothing they check depends on how fast the machine is.
const TOMORROW: Duration = Duration::from_secs(24 * 3600);

/// A reset of `ids` at `ahead` from now, as the browser asks for it: the local time in Berlin.
fn at(ids: Vec<i32>, ahead: Duration) -> ResetRequest {
    let zone: chrono_tz::Tz = ZONE.parse().unwrap();
    let when = Utc::now() + chrono::Duration::from_std(ahead).unwrap();
    let local = when.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S").to_string();
    ResetRequest { when: When::At { local, zone: ZONE.into() }, ..request(ids, ResetOptions::defaults()) }
}

/// Makes job `job` due now, as if its time had come.
async fn make_due(app: &TestApp, job: i32) {
    let due = bulk_job::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(job),
        run_at: sea_orm::ActiveValue::Set(Some(Utc::now() - chrono::Duration::seconds(1))),
        ..Default::default()
    };
    due.update(&app.db).await.unwrap();
}

async fn schedule(app: &TestApp, session: &Session, request: ResetRequest) -> JobProgress {
    let (code, job) = start(app, session, "a.example", request).await;
    assert_eq!(code, StatusCode::OK, "{job:?}");
    let job = job.unwrap();
    assert_eq!(job.counts.state, JobState::Scheduled);
    job
}

async fn audited(app: &TestApp, action: &str, job: i32) -> usize {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.detail.contains(&format!("\"job\":{job}")))
        .count()
}

#[test]
fn a_scheduled_job_waits_then_starts_exactly_once_with_two_workers() {
    common::run(async {
        let (app, _fixture, session, ids) = world().await;
        let before = snapshots(&app, &ids).await;
        let job = schedule(&app, &session, at(ids.clone(), TOMORROW)).await;
        let schedule = job.schedule.clone().expect("a schedule");
        assert_eq!(schedule.zone, ZONE);
        assert_eq!(job.banner(), format!("Reset scheduled: 3 users, {}", schedule.short_with_zone()));

        // Until then: nothing changes, the banner shows it, and its users cannot be put in a second job.
        app.run_jobs().await;
        assert_eq!(snapshots(&app, &ids).await, before);
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert_eq!(running.unwrap(), std::slice::from_ref(&job));
        let (code, refused) = start(&app, &session, "a.example", request(vec![ids[1]], ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            refused.unwrap_err(),
            AppError::Conflict(format!(
                "Extension 202 is in the reset scheduled for {}; cancel it or run it now first.",
                schedule.short_with_zone()
            ))
        );

        // At its time, two replicas' workers look at once: one starts it, both work on it.
        make_due(&app, job.id).await;
        let replica = app.replica(Default::default()).await;
        let config = worker::Config { batch_size: 1, ..worker::Config::default() };
        let (one, two) = (Worker::new(app.db.clone(), config.clone()), Worker::new(replica.db.clone(), config));
        loop {
            let (a, b) = tokio::join!(one.run_once(), two.run_once());
            if a.unwrap() + b.unwrap() == 0 {
                break;
            }
        }
        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((done.counts.state, done.counts.done, done.counts.skipped), (JobState::Finished, 3, 0));
        assert_eq!(audited(&app, "bulk_job_scheduled", job.id).await, 1);
        assert_eq!(audited(&app, "bulk_job_started", job.id).await, 1, "started exactly once");
        assert_eq!(audited(&app, "user_reset", job.id).await, 3, "each user reset exactly once");
        for after in snapshots(&app, &ids).await {
            assert_eq!(after.user.status, UserStatus::SetupRequired);
        }
    })
}

#[test]
fn a_cancelled_scheduled_job_never_starts_and_frees_its_users() {
    common::run(async {
        let (app, _fixture, session, ids) = world().await;
        let before = snapshots(&app, &ids).await;
        let job = schedule(&app, &session, at(ids.clone(), TOMORROW)).await;
        let (code, cancelled) = app.call::<_, JobProgress>(CancelJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{cancelled:?}");
        assert_eq!(cancelled.unwrap().counts.state, JobState::Cancelled);

        make_due(&app, job.id).await;
        app.run_jobs().await;
        assert_eq!(snapshots(&app, &ids).await, before, "nothing was done");
        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!(
            (progress.counts.state, progress.counts.done, progress.counts.cancelled()),
            (JobState::Cancelled, 0, 3)
        );
        assert_eq!(audited(&app, "bulk_job_started", job.id).await, 0);
        assert_eq!(audited(&app, "bulk_job_cancelled", job.id).await, 1);
        let (code, again) = app.call::<_, JobProgress>(RunScheduledJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::CONFLICT, "{again:?}");
        let (code, _) = start(&app, &session, "a.example", request(ids, ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::OK, "its users are free for another job");
    })
}

#[test]
fn a_user_who_changed_scope_before_the_time_is_skipped_with_the_reason() {
    common::run(async {
        let (app, _fixture, session, ids) = world().await;
        let before = snapshots(&app, &ids).await;
        let job = schedule(&app, &session, at(ids.clone(), TOMORROW)).await;
        // 202 becomes a Reseller, above the Office Manager who scheduled the reset.
        let promoted = user::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(ids[1]),
            scope: sea_orm::ActiveValue::Set(Scope::Reseller),
            ..Default::default()
        };
        promoted.update(&app.db).await.unwrap();

        make_due(&app, job.id).await;
        app.run_jobs().await;
        let status = status(&app, &session, job.id).await.1.unwrap();
        let progress = &status.progress;
        assert_eq!((progress.counts.state, progress.counts.done, progress.counts.skipped), (JobState::Finished, 2, 1));
        let skipped = status.items.iter().find(|item| item.extension == "202").unwrap();
        assert_eq!(skipped.state, ItemState::Skipped);
        assert_eq!(skipped.error.as_deref(), Some("Now a Reseller, above the scope of 200@a.example."));
        let after = snapshots(&app, &ids).await;
        assert_eq!(after[1].rows, before[1].rows, "the skipped user keeps their data");
        assert_eq!(after[1].user.status, before[1].user.status);
        assert_eq!(after[0].user.status, UserStatus::SetupRequired);
        assert_eq!(audited(&app, "bulk_item_skipped", job.id).await, 1);
    })
}

#[test]
fn run_now_starts_a_scheduled_job_at_once_and_only_once() {
    common::run(async {
        let (app, _fixture, session, ids) = world().await;
        let job = schedule(&app, &session, at(ids.clone(), TOMORROW)).await;
        let (code, running) = app.call::<_, JobProgress>(RunScheduledJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{running:?}");
        assert_eq!(running.unwrap().counts.state, JobState::Running);
        let (code, again) = app.call::<_, JobProgress>(RunScheduledJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::CONFLICT, "{again:?}");
        app.run_jobs().await;
        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((progress.counts.state, progress.counts.done), (JobState::Finished, 3));
        assert_eq!(audited(&app, "bulk_job_started", job.id).await, 1);
    })
}

#[test]
fn a_time_that_has_passed_or_does_not_exist_is_refused_at_the_field_and_nothing_is_scheduled() {
    common::run(async {
        let (app, _fixture, session, ids) = world().await;
        for (local, zone) in [("2020-01-01T10:00", ZONE), ("", ZONE), ("2026-12-04T18:00", "Not/AZone")] {
            let request = ResetRequest {
                when: When::At { local: local.into(), zone: zone.into() },
                ..request(ids.clone(), ResetOptions::defaults())
            };
            let (code, refused) = start(&app, &session, "a.example", request).await;
            assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{local} {zone}");
            assert!(refused.unwrap_err().is_at(When::FIELD), "{local} {zone}");
        }
        assert_eq!(bulk_job::Entity::find().count(&app.db).await.unwrap(), 0);
    })
}

#[test]
fn an_admin_cannot_cancel_or_run_a_job_that_targets_them_or_anyone_above_them() {
    common::run(async {
        let (app, fixture, manager, ids) = world().await;
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let (om, reseller) = (app.user_id(&fixture.office_manager).await, app.user_id(&fixture.reseller).await);
        // The Super User schedules the Office Manager's offboarding, and a Reseller's.
        let of_manager = schedule(&app, &boss, at(vec![om, ids[0]], TOMORROW)).await;
        let of_reseller = schedule(&app, &boss, at(vec![reseller, ids[1]], TOMORROW)).await;
        for (job, whom) in [(of_manager.id, "your own account (200)"), (of_reseller.id, "150 (Rita Seller)")] {
            let (code, refused) = app.call::<_, JobProgress>(CancelJob { job }, Some(&manager)).await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{refused:?}");
            assert!(refused.unwrap_err().to_string().contains(whom), "cancel of job {job}");
            let (code, refused) = app.call::<_, JobProgress>(RunScheduledJob { job }, Some(&manager)).await;
            assert_eq!(code, StatusCode::FORBIDDEN, "{refused:?}");
            assert!(refused.unwrap_err().to_string().contains(whom), "run now of job {job}");
        }
        for job in [&of_manager, &of_reseller] {
            let progress = status(&app, &boss, job.id).await.1.unwrap().progress;
            assert_eq!(progress.counts.state, JobState::Scheduled, "untouched");
        }
        assert_eq!(audited(&app, "bulk_job_cancelled", of_manager.id).await, 0);
        // The Super User, above them all, may.
        let (code, _) = app.call::<_, JobProgress>(CancelJob { job: of_manager.id }, Some(&boss)).await;
        assert_eq!(code, StatusCode::OK);
        let (code, _) = app.call::<_, JobProgress>(RunScheduledJob { job: of_reseller.id }, Some(&boss)).await;
        assert_eq!(code, StatusCode::OK);
    })
}

#[test]
fn a_scheduled_job_whose_admin_was_reset_since_does_nothing_when_its_time_comes() {
    common::run(async {
        let (app, fixture, manager, ids) = world().await;
        let before = snapshots(&app, &ids).await;
        let job = schedule(&app, &manager, at(ids.clone(), TOMORROW)).await;
        // The Office Manager who scheduled it leaves: a Super User resets their account.
        let boss = app.sign_in(&fixture.super_user, PASSWORD).await;
        let om = app.user_id(&fixture.office_manager).await;
        let (code, started) = start(&app, &boss, "a.example", request(vec![om], ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::OK, "{started:?}");
        app.run_jobs().await;

        make_due(&app, job.id).await;
        app.run_jobs().await;
        let status = status(&app, &boss, job.id).await.1.unwrap();
        assert_eq!(
            (status.progress.counts.state, status.progress.counts.done, status.progress.counts.skipped),
            (JobState::Finished, 0, 3)
        );
        for item in &status.items {
            assert_eq!(
                item.error.as_deref(),
                Some("200@a.example, who scheduled it, has been reset since and has no authority left."),
            );
        }
        assert_eq!(snapshots(&app, &ids).await, before, "nothing was done");
    })
}
