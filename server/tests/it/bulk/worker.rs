//! The job worker: a job interrupted part-way resumes, workers side by side share one, and a lease that
//! ran out hands its users on; each user is reset exactly once.

use super::*;
use crate::common::{self, until_idle, TestApp, PASSWORD};
use app::server::bulk::worker::{self, Worker};
use app::server::db::unwritable::Unwritable;
use app::server::entities::{audit_log, bulk_job_item};
use app::server::settings::{BulkLimits, Settings};
use app::shared::bulk::{ItemState, JobProgress, JobState, JobSummary, ResetOptions, Waiting};
use app::shared::model::UserStatus;
use app::ui::components::job_widgets::RunningJobs;
use app::ui::pages::activity::RecentJobs;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{prelude::*, EntityTrait, QueryFilter};
use std::time::Duration;

#[test]
fn a_job_interrupted_part_way_resumes_and_resets_each_user_exactly_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        for extension in 300..307 {
            app.user_without_password("a.example", &extension.to_string(), "Temp", "Worker").await;
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let mut ids = Vec::new();
        for extension in 300..307 {
            ids.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();

        let config = worker::Config { batch_size: 2, ..worker::Config::default() };
        let first = Worker::new(app.db.clone(), config.clone());
        assert_eq!(first.run_once().await.unwrap(), 2);
        // The first worker claims its next batch and dies before committing it.
        let lost = first.claim().await.unwrap().expect("a second batch");
        assert_eq!(lost.items.len(), 2);
        drop(first);

        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((progress.counts.done, progress.counts.state), (2, JobState::Running));
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert_eq!(running.unwrap().len(), 1);

        // Another worker takes what nobody holds, then, once the dead worker's lease runs out, the rest.
        let second = Worker::new(app.db.clone(), config);
        assert_eq!(second.run_once().await.unwrap(), 2);
        assert_eq!(second.run_once().await.unwrap(), 1);
        assert_eq!(second.run_once().await.unwrap(), 0, "the dead worker's batch is still leased");
        // Its lease runs out.
        leases_run_out(&app).await;
        assert_eq!(second.run_once().await.unwrap(), 2);

        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!(
            (done.counts.state, done.counts.done, done.counts.failed, done.counts.total),
            (JobState::Finished, 7, 0, 7)
        );
        for id in &ids {
            let resets = audit_log::Entity::find()
                .filter(audit_log::Column::Action.eq("user_reset"))
                .filter(audit_log::Column::TargetUserId.eq(*id))
                .count(&app.db)
                .await
                .unwrap();
            assert_eq!(resets, 1, "user {id} was reset {resets} times");
            assert_eq!(snapshot(&app, *id).await.user.status, UserStatus::SetupRequired);
        }
        let finished = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("bulk_job_finished"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(finished, 1);
        let (_, running) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert!(running.unwrap().is_empty());
    })
}

#[test]
fn the_background_worker_runs_a_job_and_the_activity_page_lists_it_in_scope() {
    common::run(async {
        let (app, fixture, session, ids) = world().await;
        let handle = worker::spawn(app.db.clone(), worker::Config::default()).await.unwrap();
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();
        let mut polls = 0;
        let done = loop {
            let now = status(&app, &session, job.id).await.1.unwrap();
            if now.progress.counts.is_finished() {
                break now;
            }
            polls += 1;
            assert!(polls < 200, "the job did not finish: {now:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        handle.stop().await;
        assert_eq!(done.progress.summary(), "3 of 3 users reset");

        let (_, jobs) = app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&session)).await;
        let jobs = jobs.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!((jobs[0].domain.as_str(), jobs[0].actor.as_str()), ("a.example", fixture.office_manager.as_str()));

        // Another domain's Office Manager sees none of it.
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        assert!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&other)).await.1.unwrap().is_empty());
        // Its job is, to them, one that does not exist.
        assert_eq!(status(&app, &other, job.id).await.0, StatusCode::NOT_FOUND);
        let (code, _, _) = app.get(&format!("/activity/{}/results.csv", job.id), Some(&other)).await;
        assert_eq!(code, StatusCode::NOT_FOUND);
        // A Basic User neither.
        let basic = app.sign_in("201@c.example", PASSWORD).await;
        assert_eq!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&basic)).await.0, StatusCode::FORBIDDEN);
        // The Super User sees it across domains.
        let root = app.sign_in(&fixture.super_user, PASSWORD).await;
        assert_eq!(app.call::<_, Vec<JobSummary>>(RecentJobs {}, Some(&root)).await.1.unwrap().len(), 1);
    })
}

#[test]
fn workers_running_side_by_side_share_a_job_and_reset_each_user_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let mut ids = Vec::new();
        for extension in 500..620 {
            app.user_without_password("a.example", &extension.to_string(), "Lee", "Park").await;
            ids.push(app.user_id(&format!("{extension}@a.example")).await);
        }
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();

        // Three replicas' workers, small batches, all at once: on PostgreSQL they claim disjoint
        // batches (SKIP LOCKED); on SQLite they take turns at the write lock.
        let config = worker::Config { batch_size: 7, ..worker::Config::default() };
        let items = ids.len();
        let drain = |worker: Worker| async move {
            until_idle(items, || async { worker.run_once().await.expect("the worker runs") }).await
        };
        let workers = [0, 1, 2].map(|_| Worker::new(app.db.clone(), config.clone()));
        let [a, b, c] = workers;
        let (a, b, c) = tokio::join!(tokio::spawn(drain(a)), tokio::spawn(drain(b)), tokio::spawn(drain(c)));
        let handled = [a.unwrap(), b.unwrap(), c.unwrap()];
        assert_eq!(handled.iter().sum::<usize>(), ids.len(), "each item claimed once: {handled:?}");

        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!(
            (done.counts.state, done.counts.done, done.counts.failed),
            (JobState::Finished, ids.len() as u64, 0)
        );
        let resets =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_reset")).count(&app.db).await.unwrap();
        assert_eq!(resets, ids.len() as u64);
        let finished = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("bulk_job_finished"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(finished, 1, "exactly one worker finished the job");
    })
}

#[test]
fn a_worker_whose_lease_ran_out_leaves_taken_users_to_their_new_holder_and_does_the_rest() {
    common::run(async {
        let (app, _, session, ids) = world().await;
        let job =
            start(&app, &session, "a.example", request(ids[..2].to_vec(), ResetOptions::defaults())).await.1.unwrap();
        let lease = Duration::from_millis(200);
        let slow = Worker::new(app.db.clone(), worker::Config { batch_size: 2, lease, ..worker::Config::default() });
        let held = slow.claim().await.unwrap().expect("both users");
        tokio::time::sleep(lease * 2).await;
        // The lease ran out; another worker takes the first user over.
        let quick = Worker::new(app.db.clone(), worker::Config { batch_size: 1, lease, ..worker::Config::default() });
        let taken = quick.claim().await.unwrap().expect("the first user");
        assert_eq!(taken.items[0].user_id, Some(ids[0]));

        // The slow worker wakes up: the first user is not its own any more, the second still is.
        slow.process(held).await.unwrap();
        let items = |state| {
            bulk_job_item::Entity::find()
                .filter(bulk_job_item::Column::JobId.eq(job.id))
                .filter(bulk_job_item::Column::State.eq(state))
                .all(&app.db)
        };
        let done: Vec<Option<i32>> =
            items(ItemState::Done).await.unwrap().into_iter().map(|item| item.user_id).collect();
        assert_eq!(done, [Some(ids[1])]);
        assert_eq!(snapshot(&app, ids[0]).await.user.status, UserStatus::Active, "not reset by the slow worker");

        quick.process(taken).await.unwrap();
        let progress = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((progress.counts.state, progress.counts.done, progress.counts.failed), (JobState::Finished, 2, 0));
        let resets =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_reset")).count(&app.db).await.unwrap();
        assert_eq!(resets, 2);
    })
}

#[test]
fn an_operators_hold_stops_a_domains_jobs_where_they_are_and_lets_exactly_so_many_users_through() {
    use app::server::bulk::hold::{self, Pace};
    common::run(async {
        let (app, _, session, ids) = world().await;
        hold::set(&app.db, "a.example", Pace::HeldAfter(0)).await.unwrap();
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();
        app.run_jobs().await;
        let progress = || async { status(&app, &session, job.id).await.1.unwrap().progress };
        assert_eq!(
            (progress().await.counts.state, progress().await.counts.done),
            (JobState::Running, 0),
            "held: nothing done"
        );
        assert_eq!(progress().await.counts.waiting, Some(Waiting::Held), "and the admin is told why");
        let (_, banner) =
            app.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        assert_eq!(banner.unwrap()[0].banner(), "Reset in progress: 0 of 3 (paused by your service provider)");

        // One user let through, to two workers of two replicas at once, in batches larger than that:
        // exactly one is done.
        hold::set(&app.db, "a.example", Pace::HeldAfter(1)).await.unwrap();
        let replica = app.replica(Default::default()).await;
        let config = worker::Config { batch_size: 3, ..worker::Config::default() };
        let (one, two) = (Worker::new(app.db.clone(), config.clone()), Worker::new(replica.db.clone(), config));
        let (a, b) = tokio::join!(one.run_once(), two.run_once());
        a.unwrap();
        b.unwrap();
        app.run_jobs().await;
        assert_eq!(progress().await.counts.done, 1);
        assert_eq!(progress().await.counts.waiting, Some(Waiting::Held), "held again after the one let through");
        assert_eq!(snapshot(&app, ids[0]).await.user.status, UserStatus::SetupRequired, "in order of extension");
        assert_eq!(snapshot(&app, ids[1]).await.user.status, UserStatus::Active);

        hold::set(&app.db, "a.example", Pace::Free).await.unwrap();
        assert_eq!(progress().await.counts.waiting, None, "released");
        app.run_jobs().await;
        assert_eq!((progress().await.counts.state, progress().await.counts.done), (JobState::Finished, 3));
    })
}

/// `count` users without passwords in `domain`, from extension `first` on; their ids.
async fn users(app: &TestApp, domain: &str, first: u32, count: u32) -> Vec<i32> {
    let mut ids = Vec::new();
    for extension in first..first + count {
        app.user_without_password(domain, &extension.to_string(), "Sam", "Tenant").await;
        ids.push(app.user_id(&format!("{extension}@{domain}")).await);
    }
    ids
}

#[test]
fn a_small_job_of_another_domain_is_done_in_the_first_round_beside_a_large_one() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let large = users(&app, "a.example", 300, 30).await;
        let small = users(&app, "c.example", 300, 3).await;
        let a = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let c = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        let large_job = start(&app, &a, "a.example", request(large, ResetOptions::defaults())).await.1.unwrap();
        let small_job = start(&app, &c, "c.example", request(small, ResetOptions::defaults())).await.1.unwrap();

        // One round of batches of 10: before fair share, the large job's first 10 users (it came first).
        let worker = Worker::new(app.db.clone(), worker::Config { batch_size: 10, ..worker::Config::default() });
        assert_eq!(worker.run_once().await.unwrap(), 10, "a whole batch: what the small job leaves goes to the large");
        let small_now = status(&app, &c, small_job.id).await.1.unwrap().progress;
        assert_eq!((small_now.counts.state, small_now.counts.done), (JobState::Finished, 3));
        let large_now = status(&app, &a, large_job.id).await.1.unwrap().progress;
        assert_eq!((large_now.counts.state, large_now.counts.done), (JobState::Running, 7));

        until_idle(33, || async { worker.run_once().await.unwrap() }).await;
        let large_done = status(&app, &a, large_job.id).await.1.unwrap().progress;
        assert_eq!(
            (large_done.counts.state, large_done.counts.done, large_done.counts.failed),
            (JobState::Finished, 30, 0)
        );
    })
}

/// Found by the three-replica run of `make bench`: a job fills its turn exactly while another domain's
/// users are held by another replica, so the round offers the job the rest of the batch, and there is
/// none. The users it did take must stay in the claim: lost from it, they stayed leased and unprocessed,
/// and were taken and lost again every round, so that the job never finished.
#[test]
fn a_job_that_fills_its_turn_exactly_keeps_its_users_when_the_rest_of_the_batch_finds_none() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let replica = app.replica(Default::default()).await;
        let a_users = users(&app, "a.example", 300, 5).await;
        let c_users = users(&app, "c.example", 300, 5).await;
        let a = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let c = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        let config = worker::Config { batch_size: 10, ..worker::Config::default() };
        // c.example's job is started first and taken whole by the other replica, which holds it.
        let c_job = start(&app, &c, "c.example", request(c_users, ResetOptions::defaults())).await.1.unwrap();
        let other = Worker::new(replica.db.clone(), config.clone());
        let held = other.claim().await.unwrap().expect("c.example's users");
        assert_eq!(held.items.len(), 5);
        let a_job = start(&app, &a, "a.example", request(a_users, ResetOptions::defaults())).await.1.unwrap();

        // Each domain's turn is 5 of the 10: a.example's job fills it, c.example's finds its users held.
        let worker = Worker::new(app.db.clone(), config);
        assert_eq!(worker.run_once().await.unwrap(), 5, "a.example's 5 users, claimed and processed");
        let a_now = status(&app, &a, a_job.id).await.1.unwrap().progress;
        assert_eq!((a_now.counts.state, a_now.counts.done), (JobState::Finished, 5));
        other.process(held).await.unwrap();
        let c_now = status(&app, &c, c_job.id).await.1.unwrap().progress;
        assert_eq!((c_now.counts.state, c_now.counts.done), (JobState::Finished, 5));
    })
}

/// A domain's users per hour, kept by two replicas' workers running rounds at once in batches of 3:
/// exactly 5 of a.example's 8 users are done, the other 3 wait untouched (not failed, not held) while
/// c.example's job finishes; once the 5 are more than an hour old, the rest go on.
#[test]
fn a_domain_past_its_users_per_hour_waits_and_two_replicas_together_keep_the_limit() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let replica = app.replica(Default::default()).await;
        let a_users = users(&app, "a.example", 300, 8).await;
        let c_users = users(&app, "c.example", 300, 3).await;
        let a = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let c = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        let a_job = start(&app, &a, "a.example", request(a_users, ResetOptions::defaults())).await.1.unwrap();
        let c_job = start(&app, &c, "c.example", request(c_users, ResetOptions::defaults())).await.1.unwrap();
        let config = worker::Config { batch_size: 3, limits: per_hour(5), ..worker::Config::default() };
        let (one, two) = (Worker::new(app.db.clone(), config.clone()), Worker::new(replica.db.clone(), config));
        until_idle(11, || async {
            let (first, second) = tokio::join!(one.run_once(), two.run_once());
            first.unwrap() + second.unwrap()
        })
        .await;
        let a_now = status(&app, &a, a_job.id).await.1.unwrap().progress;
        assert_eq!(
            (a_now.counts.state, a_now.counts.done, a_now.counts.failed),
            (JobState::Running, 5, 0),
            "the limit, exactly"
        );
        let c_now = status(&app, &c, c_job.id).await.1.unwrap().progress;
        assert_eq!((c_now.counts.state, c_now.counts.done), (JobState::Finished, 3), "another domain is not held back");
        let waiting = bulk_job_item::Entity::find()
            .filter(bulk_job_item::Column::JobId.eq(a_job.id))
            .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(waiting.len(), 3);
        assert!(waiting.iter().all(|item| item.lease_owner.is_none()), "nobody holds the waiting users");

        // The admin is told why, by a replica that knows the limit: the 5 done half an hour ago leave the
        // hour in 30 minutes.
        done_ago(&app, a_job.id, chrono::Duration::minutes(30)).await;
        let told = app.replica(Settings { bulk: per_hour(5), ..Settings::default() }).await;
        let a_told = status(&told, &a, a_job.id).await.1.unwrap().progress;
        assert_eq!(a_told.counts.waiting, Some(Waiting::HourlyLimit { per_hour: 5, minutes: 30 }));
        assert_eq!(status(&told, &c, c_job.id).await.1.unwrap().progress.counts.waiting, None, "finished: not waiting");

        // An hour on: the users done are out of the window, and the job finishes.
        done_ago(&app, a_job.id, chrono::Duration::hours(2)).await;
        assert_eq!(status(&told, &a, a_job.id).await.1.unwrap().progress.counts.waiting, None, "room again");
        until_idle(11, || async { one.run_once().await.unwrap() }).await;
        let a_done = status(&app, &a, a_job.id).await.1.unwrap().progress;
        assert_eq!((a_done.counts.state, a_done.counts.done, a_done.counts.failed), (JobState::Finished, 8, 0));
    })
}

/// The users done by `job` were done `ago` (brought back, rather than waited for).
async fn done_ago(app: &TestApp, job: i32, ago: chrono::Duration) {
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::FinishedAt, Expr::value(chrono::Utc::now() - ago))
        .filter(bulk_job_item::Column::JobId.eq(job))
        .filter(bulk_job_item::Column::State.eq(ItemState::Done))
        .exec(&app.db)
        .await
        .unwrap();
}

fn per_hour(users: u32) -> BulkLimits {
    BulkLimits { users_per_hour: Some(users), ..BulkLimits::default() }
}

fn at_once(jobs: usize) -> BulkLimits {
    BulkLimits { jobs_per_domain: jobs, ..BulkLimits::default() }
}

/// Every lease on job items runs out now (brought forward, rather than waited for).
async fn leases_run_out(app: &TestApp) {
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::LeaseUntil, Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .filter(bulk_job_item::Column::LeaseOwner.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
}

/// A connection to the test's database that cannot take writes. On SQLite it cannot grow by a single
/// page (`max_page_count`, the same "database or disk is full" a full disk gives), after `VACUUM` left
/// it no free page to reuse; on PostgreSQL its transactions are read-only, as on a standby after a
/// failover (a full disk cannot be made for one database of the shared test server).
async fn unwritable_database(app: &TestApp) -> sea_orm::DatabaseConnection {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    use sea_orm::{ConnectionTrait, SqlxPostgresConnector, SqlxSqliteConnector, Statement};
    use std::str::FromStr;
    let backend = app.db.get_database_backend();
    if backend == sea_orm::DbBackend::Postgres {
        let options = PgConnectOptions::from_str(&app.url).unwrap().options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
        return SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    }
    app.db.execute_unprepared("VACUUM").await.unwrap();
    let pages: i64 = app
        .db
        .query_one(Statement::from_string(backend, "PRAGMA page_count"))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let options = SqliteConnectOptions::from_str(&app.url).unwrap().pragma("max_page_count", pages.to_string());
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await.unwrap();
    SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

/// A full or read-only database is not the users' fault: the worker stops with the error, nobody is
/// reset, failed or half-done, and once it takes writes again the job finishes with every user done.
#[test]
fn a_database_that_takes_no_writes_leaves_every_user_untouched_and_the_job_goes_on_once_it_does() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let ids = users(&app, "a.example", 300, 40).await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = start(&app, &session, "a.example", request(ids.clone(), ResetOptions::defaults())).await.1.unwrap();

        let full = Worker::new(unwritable_database(&app).await, worker::Config::default());
        let err = full.run_once().await.expect_err("the database cannot take the batch");
        assert_eq!(Unwritable::of(&err), Some(Unwritable::NoRoom), "{err}");
        let now = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!(
            (now.counts.state, now.counts.done, now.counts.failed),
            (JobState::Running, 0, 0),
            "nobody done, nobody failed"
        );
        let untouched = app::server::entities::user::Entity::find()
            .filter(app::server::entities::user::Column::Id.is_in(ids.clone()))
            .filter(app::server::entities::user::Column::FirstName.eq("Sam"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(untouched, 40, "every user keeps their data");

        // An admin starting another job meanwhile is told, at once, and nothing is changed. Enough users
        // that their job's items need pages of their own, whatever room is left in the last ones.
        let others = users(&app, "a.example", 400, 200).await;
        let full_portal = app.replica_on(unwritable_database(&app).await);
        let (code, refused) =
            start(&full_portal, &session, "a.example", request(others, ResetOptions::defaults())).await;
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.unwrap_err(), AppError::CannotSave);
        let jobs = app::server::entities::bulk_job::Entity::find().count(&app.db).await.unwrap();
        assert_eq!(jobs, 1, "no job was made");

        // Writable again (and the stopped worker's lease, if it took one, run out).
        leases_run_out(&app).await;
        let worker = Worker::new(app.db.clone(), worker::Config::default());
        until_idle(40, || async { worker.run_once().await.unwrap() }).await;
        let done = status(&app, &session, job.id).await.1.unwrap().progress;
        assert_eq!((done.counts.state, done.counts.done, done.counts.failed), (JobState::Finished, 40, 0));
    })
}

/// Marks `items` done now, as a batch's transaction does before it asks `rate::within`.
async fn mark_done(txn: &sea_orm::DatabaseTransaction, items: &[i32]) {
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::State, Expr::value(ItemState::Done))
        .col_expr(bulk_job_item::Column::FinishedAt, Expr::value(chrono::Utc::now()))
        .filter(bulk_job_item::Column::Id.is_in(items.iter().copied()))
        .exec(txn)
        .await
        .unwrap();
}

/// The race the domain's row lock closes on PostgreSQL: two replicas' batches of one domain, each
/// within the limit on its own, both counting before either commits. The second must wait for the
/// first to commit and then count its users too, rather than see room for itself and go over.
/// (SQLite has one writer at a time: the second batch cannot even mark its users meanwhile.)
#[test]
fn two_replicas_batches_counting_at_once_wait_for_each_other_and_keep_the_hourly_limit() {
    use app::server::bulk::rate;
    use sea_orm::{DbBackend, Statement, TransactionTrait};
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        if app.db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let replica = app.replica(Default::default()).await;
        let ids = users(&app, "a.example", 300, 6).await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let job = start(&app, &session, "a.example", request(ids, ResetOptions::defaults())).await.1.unwrap();
        let items: Vec<i32> = bulk_job_item::Entity::find()
            .filter(bulk_job_item::Column::JobId.eq(job.id))
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|item| item.id)
            .collect();
        let domain =
            app::server::entities::bulk_job::Entity::find_by_id(job.id).one(&app.db).await.unwrap().unwrap().domain_id;

        // The first batch: 3 users, within a limit of 5; not committed yet.
        let first = app.db.begin().await.unwrap();
        mark_done(&first, &items[..3]).await;
        assert!(rate::within(&first, domain, 5).await.unwrap());
        // The second batch, on the other replica: 3 more users.
        let second_items = items[3..].to_vec();
        let second = tokio::spawn(async move {
            let txn = replica.db.begin().await.unwrap();
            mark_done(&txn, &second_items).await;
            let within = rate::within(&txn, domain, 5).await.unwrap();
            txn.rollback().await.unwrap();
            within
        });
        // Until the second batch has either answered or stands waiting for a lock (the first's row lock).
        let waiting = || async {
            let row = app
                .db
                .query_one(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT COUNT(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap() > 0
        };
        while !second.is_finished() && !waiting().await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first.commit().await.unwrap();
        assert!(!second.await.unwrap(), "the second batch counts the first one's 3 users and would make 6 of 5");
    })
}

#[test]
fn a_domains_jobs_share_its_part_and_those_beyond_its_limit_wait_for_a_place() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let mut jobs = Vec::new();
        for first in [300, 310, 320] {
            let ids = users(&app, "a.example", first, 6).await;
            jobs.push(start(&app, &session, "a.example", request(ids, ResetOptions::defaults())).await.1.unwrap().id);
        }
        let config = worker::Config { batch_size: 4, limits: at_once(2), ..worker::Config::default() };
        let worker = Worker::new(app.db.clone(), config);
        let done = || async {
            let mut done = Vec::new();
            for job in &jobs {
                done.push(status(&app, &session, *job).await.1.unwrap().progress.counts.done);
            }
            done
        };
        assert_eq!(worker.run_once().await.unwrap(), 4);
        assert_eq!(done().await, [2, 2, 0], "the first two jobs side by side, the third waiting");
        // Its admin is told why, by a replica that knows the limit, on the banner too.
        let told = app.replica(Settings { bulk: at_once(2), ..Settings::default() }).await;
        let (_, banner) =
            told.call::<_, Vec<JobProgress>>(RunningJobs { domain: "a.example".into() }, Some(&session)).await;
        let reasons: Vec<Option<Waiting>> = banner.unwrap().iter().map(|job| job.counts.waiting).collect();
        assert_eq!(reasons, [None, None, Some(Waiting::EarlierJobs { at_once: 2 })]);
        assert_eq!(worker.run_once().await.unwrap(), 4);
        assert_eq!(worker.run_once().await.unwrap(), 4);
        assert_eq!(done().await, [6, 6, 0]);
        // The first two finished: the third has the domain's whole part.
        assert_eq!(worker.run_once().await.unwrap(), 4);
        assert_eq!(done().await, [6, 6, 4]);
        until_idle(18, || async { worker.run_once().await.unwrap() }).await;
        assert_eq!(done().await, [6, 6, 6]);
    })
}

#[test]
fn two_replicas_claiming_at_once_keep_a_domains_limit_of_jobs_and_reset_each_user_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let mut jobs = Vec::new();
        for first in [300, 320, 340] {
            let ids = users(&app, "a.example", first, 20).await;
            jobs.push(start(&app, &session, "a.example", request(ids, ResetOptions::defaults())).await.1.unwrap().id);
        }
        let replica = app.replica(Default::default()).await;
        let config = worker::Config { batch_size: 6, limits: at_once(2), ..worker::Config::default() };
        let (one, two) = (Worker::new(app.db.clone(), config.clone()), Worker::new(replica.db.clone(), config));
        // Three rounds of both replicas at once take at most 3 × 2 × 3 = 18 of each of the first two jobs'
        // 20 users: those two are still running, so the third must be untouched. (A fourth round would
        // finish them part-way through, and a replica that then looks may rightly start the third.)
        for _ in 0..3 {
            let (a, b) = tokio::join!(one.run_once(), two.run_once());
            a.unwrap();
            b.unwrap();
        }
        let mut done = Vec::new();
        for job in &jobs {
            done.push(status(&app, &session, *job).await.1.unwrap().progress.counts.done);
        }
        assert_eq!(done[2], 0, "beyond the domain's limit on both replicas: {done:?}");
        until_idle(60, || async { one.run_once().await.unwrap() + two.run_once().await.unwrap() }).await;
        let resets =
            audit_log::Entity::find().filter(audit_log::Column::Action.eq("user_reset")).count(&app.db).await.unwrap();
        assert_eq!(resets, 60, "each user reset once");
    })
}
