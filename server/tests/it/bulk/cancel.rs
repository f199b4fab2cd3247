//! Cancel Job: users already done stay done, those still waiting are left exactly as they were, a batch a
//! worker holds when the cancel comes is either finished or left alone, and the job says so everywhere.

use super::*;
use crate::common::{self, Session, TestApp};
use app::server::bulk::worker::{self, Worker};
use app::server::entities::{audit_log, bulk_job_item};
use app::shared::bulk::{ItemState, JobProgress, JobState, ResetOptions};
use app::shared::error::AppError;
use app::shared::model::UserStatus;
use app::ui::components::job_widgets::{CancelJob, RunningJobs};
use axum::http::StatusCode;
use sea_orm::{prelude::*, QueryFilter};
use std::time::Duration;

/// The snapshots, before and after, of the item's user.
fn of_user<'a>(
    item: &bulk_job_item::Model,
    ids: &[i32],
    before: &'a [Snapshot],
    after: &'a [Snapshot],
) -> (&'a Snapshot, &'a Snapshot) {
    let at = ids.iter().position(|id| Some(*id) == item.user_id).expect("one of the job's users");
    (&before[at], &after[at])
}

/// Users: how many the job below is for.
const USERS: usize = 10;

/// The fixture, and a reset with every option, not yet run, of `USERS` new users who have data of every
/// kind: their ids, their snapshots before, and the job.
async fn job_of_users() -> (TestApp, Session, Vec<i32>, Vec<Snapshot>, JobProgress) {
    let (app, _, session, _) = world().await;
    let queue = queue(&app, "a.example").await;
    let mut ids = Vec::new();
    for (n, extension) in (400..400 + USERS).enumerate() {
        app.user_without_password("a.example", &extension.to_string(), "Cal", "Cancel").await;
        let id = app.user_id(&format!("{extension}@a.example")).await;
        give_data(&app, id, queue, 10 + n as i32).await;
        ids.push(id);
    }
    let before = snapshots(&app, &ids).await;
    let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::all())).await.1.unwrap();
    (app, session, ids, before, job)
}

#[test]
fn a_cancelled_job_leaves_every_waiting_user_untouched_even_one_a_worker_holds() {
    common::run(async {
        let (app, session, ids, before, job) = job_of_users().await;

        let config = worker::Config { batch_size: 2, lease: Duration::from_secs(60), ..worker::Config::default() };
        let (first, second) = (Worker::new(app.db.clone(), config.clone()), Worker::new(app.db.clone(), config));
        assert_eq!(first.run_once().await.unwrap(), 2);
        // The second worker holds a batch when the admin cancels: it must leave those users alone.
        let held = second.claim().await.unwrap().expect("a batch to hold");
        let (code, cancelled) = app.call::<_, JobProgress>(CancelJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::OK, "{cancelled:?}");
        let cancelled = cancelled.unwrap();
        assert_eq!(cancelled.counts.state, JobState::Cancelled);
        assert_eq!(cancelled.summary(), format!("Cancelled: 2 of {USERS} users reset"));
        second.process(held).await.unwrap();
        assert_eq!(first.run_once().await.unwrap(), 0, "nothing is left to claim");

        let after = snapshots(&app, &ids).await;
        let items =
            bulk_job_item::Entity::find().filter(bulk_job_item::Column::JobId.eq(job.id)).all(&app.db).await.unwrap();
        let mut done = 0;
        for item in &items {
            let (before, after) = of_user(item, &ids, &before, &after);
            match item.state {
                ItemState::Done => {
                    done += 1;
                    assert_eq!(after.user.status, UserStatus::SetupRequired, "{}", item.extension);
                    assert!(after.rows.values().all(|&rows| rows == 0), "{} is fully reset", item.extension);
                }
                ItemState::Cancelled => assert_eq!(after, before, "{} is untouched", item.extension),
                other => panic!("{} is {other:?}", item.extension),
            }
        }
        assert_eq!(done, 2);

        let (_, status) = status(&app, &session, job.id).await;
        let progress = status.unwrap().progress;
        assert_eq!(
            (progress.counts.state, progress.counts.done, progress.counts.cancelled()),
            (JobState::Cancelled, 2, USERS as u64 - 2)
        );
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert_eq!(running.unwrap(), []);
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("bulk_job_cancelled"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the cancel is audited");
        assert!(audited.detail.contains(&format!("\"cancelled\":{}", USERS - 2)), "{}", audited.detail);
        let (_, _, csv) = app.get(&format!("/activity/{}/results.csv", job.id), Some(&session)).await;
        assert_eq!(csv.lines().filter(|line| line.contains(",Cancelled,")).count(), USERS - 2, "{csv}");

        // Once ended, a job cannot be cancelled again; its waiting users are free for another job.
        let (code, again) = app.call::<_, JobProgress>(CancelJob { job: job.id }, Some(&session)).await;
        assert_eq!(code, StatusCode::CONFLICT);
        assert_eq!(
            again.unwrap_err(),
            AppError::Conflict("This bulk action has already ended; there is nothing left to cancel.".into())
        );
        let waiting = items.iter().find(|item| item.state == ItemState::Cancelled).and_then(|item| item.user_id);
        let (code, _) =
            start(&app, &session, "a.example", request(vec![waiting.unwrap()], ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::OK);
    })
}

#[test]
fn workers_running_side_by_side_when_the_cancel_comes_leave_no_user_half_reset() {
    common::run(async {
        let (app, session, ids, before, job) = job_of_users().await;
        let config = worker::Config { batch_size: 1, lease: Duration::from_secs(60), ..worker::Config::default() };
        // A pause after each user, so that the job is still running when the cancel comes (10 users and two
        // workers: about half a second).
        let run = |worker: Worker| {
            tokio::spawn(async move {
                while worker.run_once().await.expect("the worker runs") > 0 {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        let workers = [run(Worker::new(app.db.clone(), config.clone())), run(Worker::new(app.db.clone(), config))];
        // Once the workers are under way (a user done), while most users still wait.
        let waited = std::time::Instant::now();
        while status(&app, &session, job.id).await.1.unwrap().progress.counts.done == 0 {
            assert!(waited.elapsed() < Duration::from_secs(30), "the workers never got going");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // On a machine slow enough, the workers may finish every user first: then there is nothing left to
        // cancel, and each user must be done; either way, none may be half reset.
        let (code, cancelled) = app.call::<_, JobProgress>(CancelJob { job: job.id }, Some(&session)).await;
        assert!(matches!(code, StatusCode::OK | StatusCode::CONFLICT), "{code}: {cancelled:?}");
        let ended = if code == StatusCode::OK { JobState::Cancelled } else { JobState::Finished };
        for worker in workers {
            worker.await.unwrap();
        }

        let after = snapshots(&app, &ids).await;
        let items =
            bulk_job_item::Entity::find().filter(bulk_job_item::Column::JobId.eq(job.id)).all(&app.db).await.unwrap();
        for item in &items {
            let (before, after) = of_user(item, &ids, &before, &after);
            let reset = after.user.status == UserStatus::SetupRequired && after.rows.values().all(|&rows| rows == 0);
            match item.state {
                ItemState::Done => assert!(reset, "{} is marked done but is {after:?}", item.extension),
                ItemState::Cancelled => assert_eq!(after, before, "{} is cancelled but changed", item.extension),
                other => panic!("{} is {other:?}", item.extension),
            }
        }
        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        let done = items.iter().filter(|item| item.state == ItemState::Done).count() as u64;
        assert_eq!((progress.counts.state, progress.counts.done), (ended, done));
    })
}
