//! Live progress over server-sent events: what the progress step and the Users page's banner are sent
//! while a job runs, after a reconnect, and when they may not see the job.

use crate::common::{self, Events, TestApp, PASSWORD};
use app::server::settings::{Settings, StreamLimits};
use app::shared::bulk::Targets;
use app::shared::bulk::{
    ItemState, JobCounts, JobEvent, JobProgress, JobState, ResetOptions, ResetRequest, Waiting, When,
};
use app::shared::routes;
use app::ui::components::bulk_action::reset_step::StartReset;
use app::ui::signed_in::Logout;
use axum::http::StatusCode;

/// Three users of a.example ticked for a reset by its Office Manager, the second of whom cannot be
/// reset (deleting their phone fails), and the job not yet run.
async fn running_job() -> (TestApp, common::Session, JobProgress) {
    let (app, fixture) = TestApp::with_fixture().await;
    let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
    let mut ids = Vec::new();
    for login in ["201@a.example", "202@a.example", "203@a.example"] {
        ids.push(app.user_id(login).await);
    }
    app.device(ids[1], 1).await;
    app.refuse("DELETE", "devices", &format!("OLD.user_id = {}", ids[1]), "device is locked").await;
    let request = ResetRequest {
        targets: Targets::Ticked(ids),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::Now,
    };
    let (code, job) =
        app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(&session)).await;
    assert_eq!(code, StatusCode::OK);
    (app, session, job.unwrap())
}

async fn next(events: &mut Events) -> JobEvent {
    events.next().await.expect("an event").decode()
}

fn counts(state: JobState, done: u64, failed: u64) -> JobEvent {
    JobEvent::Counts(JobCounts { state, total: 3, done, failed, skipped: 0, waiting: None })
}

/// A job that stands still says why on its stream, and no longer once it goes on.
#[test]
fn a_held_jobs_stream_says_why_it_stands_still_until_it_goes_on() {
    use app::server::bulk::hold::{self, Pace};
    common::run(async {
        let (app, session, job) = running_job().await;
        hold::set(&app.db, "a.example", Pace::HeldAfter(0)).await.unwrap();
        let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
        let held = JobCounts {
            state: JobState::Running,
            total: 3,
            done: 0,
            failed: 0,
            skipped: 0,
            waiting: Some(Waiting::Held),
        };
        assert_eq!(next(&mut events).await, JobEvent::Counts(held));
        hold::set(&app.db, "a.example", Pace::Free).await.unwrap();
        assert_eq!(next(&mut events).await, counts(JobState::Running, 0, 0), "released: no longer waiting");
    })
}

#[test]
fn a_job_stream_sends_the_counts_then_each_failure_once_and_ends_with_the_job() {
    common::run(async {
        let (app, session, job) = running_job().await;
        let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
        assert_eq!(events.status, StatusCode::OK);
        assert_eq!(next(&mut events).await, counts(JobState::Running, 0, 0));

        app.run_jobs().await;
        // The stream may see the job part-way (its users are done one by one once the batch failed), so
        // counts of the running job may come between; the failure comes once, before the last counts.
        let (mut failures, mut partway) = (Vec::new(), 0);
        loop {
            let event = events.next().await.expect("an event up to the job's end");
            match event.decode() {
                JobEvent::Failed(item) => failures.push((event.id.clone(), item)),
                JobEvent::Counts(now) if now.state == JobState::Running => partway += 1,
                last => {
                    assert_eq!(last, counts(JobState::Finished, 2, 1));
                    break;
                }
            }
        }
        let [(failure_id, item)] = <[_; 1]>::try_from(failures).expect("one failure");
        assert_eq!((item.extension.as_str(), item.state), ("202", ItemState::Failed));
        assert_eq!(item.error.as_deref(), Some("The database refused the change; the server log has the details."));
        assert!(events.next().await.is_none(), "the stream ends with the job");
        // Small enough for a phone: every event of this job, framing included (a count seen part-way
        // is some 100 bytes more).
        assert!(events.bytes < 600 + 120 * partway, "{} bytes", events.bytes);

        // A browser reconnecting after the failure is not sent it again; a new one is.
        let id = failure_id.expect("a failure carries its id");
        let mut again = app.events(&routes::job_events(job.id), Some(&session), Some(&id)).await;
        assert_eq!(next(&mut again).await, counts(JobState::Finished, 2, 1));
        assert!(again.next().await.is_none());
        let mut fresh = app.events(&routes::job_events(job.id), Some(&session), None).await;
        assert!(matches!(next(&mut fresh).await, JobEvent::Failed(item) if item.extension == "202"));
    })
}

#[test]
fn the_banner_stream_lists_the_unfinished_jobs_until_the_last_one_ends() {
    common::run(async {
        let (app, session, job) = running_job().await;
        let mut events = app.events(&routes::running_jobs("a.example"), Some(&session), None).await;
        assert_eq!(events.status, StatusCode::OK);
        let jobs: Vec<JobProgress> = events.next().await.expect("the jobs").decode();
        let id = job.id;
        assert_eq!(jobs, vec![job]);

        app.run_jobs().await;
        // The stream may have seen the job part-way (its users are done one by one once the batch failed)
        // before it saw it end: those lists still hold this job alone, and the last one is empty.
        loop {
            let jobs: Vec<JobProgress> = events.next().await.expect("the change").decode();
            if jobs.is_empty() {
                break;
            }
            assert!(jobs.iter().all(|seen| seen.id == id && seen.counts.state == JobState::Running), "{jobs:?}");
        }
        assert!(events.next().await.is_none(), "the stream ends with the last job");
    })
}

#[test]
fn streams_are_refused_to_those_who_may_not_see_the_job() {
    common::run(async {
        let (app, _, job) = running_job().await;
        let other = app.sign_in("200@c.example", PASSWORD).await;
        let basic = app.sign_in("201@a.example", PASSWORD).await;
        for (session, path, status) in [
            (None, routes::job_events(job.id), StatusCode::UNAUTHORIZED),
            (Some(&other), routes::job_events(job.id), StatusCode::NOT_FOUND),
            (Some(&basic), routes::job_events(job.id), StatusCode::FORBIDDEN),
            (Some(&other), routes::running_jobs("a.example"), StatusCode::FORBIDDEN),
            (Some(&other), routes::job_events(job.id + 1), StatusCode::NOT_FOUND),
        ] {
            let mut events = app.events(&path, session, None).await;
            assert_eq!(events.status, status, "{path}");
            assert!(events.next().await.is_none(), "{path}: a refusal sends no event");
        }
    })
}

#[test]
fn a_stream_sends_nothing_more_once_its_session_has_ended() {
    common::run(async {
        let (app, session, job) = running_job().await;
        let mut progress = app.events(&routes::job_events(job.id), Some(&session), None).await;
        let mut banner = app.events(&routes::running_jobs("a.example"), Some(&session), None).await;
        assert_eq!(next(&mut progress).await, counts(JobState::Running, 0, 0));
        assert!(banner.next().await.is_some());

        let (code, _) = app.call::<_, ()>(Logout {}, Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        app.run_jobs().await;
        // The job went on to its end, but its failure and its counts go to nobody.
        assert!(progress.next().await.is_none(), "sent after sign-out");
        assert!(banner.next().await.is_none(), "sent after sign-out");
    })
}

/// Marks the job's item for `extension` failed and counts it, as a worker's batch would.
async fn fail_item(app: &TestApp, job: i32, extension: &str, failed: i32) {
    use app::server::entities::{bulk_job, bulk_job_item};
    use sea_orm::{prelude::*, ActiveValue::Set};
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::State, Expr::value(ItemState::Failed))
        .col_expr(bulk_job_item::Column::Error, Expr::value("The phone system is down."))
        .filter(bulk_job_item::Column::JobId.eq(job))
        .filter(bulk_job_item::Column::Extension.eq(extension))
        .exec(&app.db)
        .await
        .unwrap();
    bulk_job::ActiveModel { id: Set(job), failed_count: Set(failed), ..Default::default() }
        .update(&app.db)
        .await
        .unwrap();
}

#[test]
fn a_failure_recorded_after_a_later_users_failure_is_still_sent() {
    common::run(async {
        let (app, session, job) = running_job().await;
        let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
        assert_eq!(next(&mut events).await, counts(JobState::Running, 0, 0));
        // Two replicas' batches: the later user's failure is recorded first.
        fail_item(&app, job.id, "203", 1).await;
        assert!(matches!(next(&mut events).await, JobEvent::Failed(item) if item.extension == "203"));
        assert_eq!(next(&mut events).await, counts(JobState::Running, 0, 1));
        fail_item(&app, job.id, "201", 2).await;
        assert!(matches!(next(&mut events).await, JobEvent::Failed(item) if item.extension == "201"));
        assert_eq!(next(&mut events).await, counts(JobState::Running, 0, 2));
    })
}

/// A reset of 202 and 203 scheduled for tomorrow by a.example's Office Manager: a job that changes
/// nothing while it waits.
async fn scheduled_job(app: &TestApp, session: &common::Session) -> JobProgress {
    let ids = vec![app.user_id("202@a.example").await, app.user_id("203@a.example").await];
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M").to_string();
    let request = ResetRequest {
        targets: Targets::Ticked(ids),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::At { local: tomorrow, zone: "UTC".into() },
    };
    let (code, job) =
        app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(session)).await;
    assert_eq!(code, StatusCode::OK, "{job:?}");
    job.unwrap()
}

fn streams(per_session: usize, session_check: std::time::Duration) -> Settings {
    Settings { streams: StreamLimits { per_session, session_check }, ..Settings::default() }
}

#[test]
fn one_session_may_open_only_so_many_streams_and_gets_them_back_as_they_close() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let app = app.replica(streams(3, std::time::Duration::from_secs(5))).await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = scheduled_job(&app, &session).await;
        let mut open = Vec::new();
        for _ in 0..3 {
            let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
            assert_eq!(events.status, StatusCode::OK);
            assert!(events.next().await.is_some());
            open.push(events);
        }
        let refused = app.events(&routes::running_jobs("a.example"), Some(&session), None).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        // Another session of the same user is another browser: it has streams of its own.
        let other = app.sign_in(&fixture.office_manager, PASSWORD).await;
        assert_eq!(app.events(&routes::job_events(job.id), Some(&other), None).await.status, StatusCode::OK);
        open.pop();
        assert_eq!(app.events(&routes::job_events(job.id), Some(&session), None).await.status, StatusCode::OK);
    })
}

#[test]
fn a_stream_with_nothing_to_send_still_ends_soon_after_its_session() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let app = app.replica(streams(8, std::time::Duration::from_millis(300))).await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = scheduled_job(&app, &session).await;
        let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
        assert!(matches!(next(&mut events).await, JobEvent::Counts(counts) if counts.state == JobState::Scheduled));
        let (code, _) = app.call::<_, ()>(Logout {}, Some(&session)).await;
        assert_eq!(code, StatusCode::OK);
        // The job will not change before tomorrow; the stream ends all the same.
        assert!(events.next().await.is_none());
    })
}

#[test]
fn many_watchers_of_one_job_are_fed_by_one_reader() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let reads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = reads.clone();
        let app = app
            .replica_counting(Settings::default(), move |sql| {
                if sql.contains("FROM \"bulk_jobs\"") {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
            .await;
        let mut watchers = Vec::new();
        let job = scheduled_job(&app, &app.sign_in(&fixture.office_manager, PASSWORD).await).await;
        for _ in 0..20 {
            let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
            let mut events = app.events(&routes::job_events(job.id), Some(&session), None).await;
            assert!(events.next().await.is_some());
            watchers.push((session, events));
        }
        let before = reads.load(std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let during = reads.load(std::sync::atomic::Ordering::SeqCst) - before;
        // One reader looks at the waiting job about once a second; one per watcher would have read it
        // some 160 times (twenty watchers, four times a second, two seconds).
        assert!(during <= 10, "the job was read {during} times in two seconds for twenty watchers");
    })
}
