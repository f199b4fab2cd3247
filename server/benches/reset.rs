//! `make bench`: how long the bulk actions take for a whole large domain.
//!
//! For each store (a fresh SQLite file; and a fresh database on the PostgreSQL server named by
//! BENCH_DATABASE_URL, if set), seeds the demo with BENCH_USERS subscribers (10,000 unless told
//! otherwise) and their data, then, as the demo's Super User: sends all of them a welcome email (the
//! job that queues them, then the dispatcher writing them as .eml files, link and all); counts what a
//! reset of all of them with every option would delete, starts that job, and runs the worker until it
//! has finished. Prints the figures, and fails if a job or the dispatcher left anyone out.

use app::accounts::{AccountAction, AccountRequest};
use app::bulk::Targets;
use app::bulk::{JobState, ResetOptions, ResetRequest};
use app::mail::MessageState;
use app::model::UserStatus;
use app::server::auth::authz::ManagedDomain;
use app::server::bulk::worker::{self, Worker};
use app::server::entities::{bulk_job, outbox_message, user};
use app::server::mail::dispatcher::{Config, Dispatcher, Transport};
use app::server::{accounts::actions, bulk::jobs, db, directory::demo};
use sea_orm::{ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use std::time::{Duration, Instant};

const DEFAULT_USERS: u32 = 10_000;

fn main() {
    let users = std::env::var("BENCH_USERS").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_USERS);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        bench("SQLite", &sqlite, users).await;

        if let Ok(server) = std::env::var("BENCH_DATABASE_URL") {
            let name = format!("sbbench_{}", std::process::id());
            let admin = Database::connect(&server).await.expect("connect to BENCH_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create the bench database");
            let base = server.rsplit_once('/').map(|(base, _)| base).unwrap_or(&server);
            bench("PostgreSQL", &format!("{base}/{name}"), users).await;
            admin.execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await.expect("drop it");
        }
    });
}

async fn bench(store: &str, url: &str, users: u32) {
    println!("== {store}: {users} users: welcome emails, then a reset with every option");
    let db = db::connect(url).await.expect("connect and migrate");

    let started = Instant::now();
    demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
    report("seed the demo", started.elapsed(), None);

    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let user_ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
    welcome_everyone(&db, &managed, &user_ids).await;
    let request = ResetRequest { targets: Targets::Ticked(user_ids), options: ResetOptions::all(), recycle: false };

    let started = Instant::now();
    let preview = jobs::preview_reset(&db, &managed, &request).await.expect("preview");
    report("count what will be deleted", started.elapsed(), None);
    println!("   {}", preview.deletions().unwrap_or_default());

    let started = Instant::now();
    let job = jobs::start_reset(&db, &managed, request, None).await.expect("start the job");
    report("start the job", started.elapsed(), None);

    let started = Instant::now();
    let worker = Worker::new(db.clone(), worker::Config::default());
    while worker.run_once().await.expect("the worker runs") > 0 {}
    report("run the job", started.elapsed(), Some(job.total));

    let finished = bulk_job::Entity::find_by_id(job.id).one(&db).await.expect("read the job").expect("the job");
    let reset = user::Entity::find()
        .filter(user::Column::DomainId.eq(managed.domain().id))
        .filter(user::Column::Status.eq(UserStatus::SetupRequired))
        .count(&db)
        .await
        .expect("count users");
    assert_eq!(finished.state, JobState::Finished);
    assert_eq!((finished.done_count, finished.failed_count), (job.total as i32, 0));
    assert_eq!(reset, job.total, "every user is reset");
}

/// Queues a welcome email to every user (a job) and sends them all (as files).
async fn welcome_everyone(db: &DatabaseConnection, managed: &ManagedDomain, user_ids: &[i32]) {
    let started = Instant::now();
    let request = AccountRequest { action: AccountAction::SendWelcome, targets: Targets::Ticked(user_ids.to_vec()) };
    let job = actions::start(db, managed, request, None).await.expect("start the welcome job");
    let worker = Worker::new(db.clone(), worker::Config::default());
    while worker.run_once().await.expect("the worker runs") > 0 {}
    report("queue welcome emails (job)", started.elapsed(), Some(job.total));

    let dir = tempfile::tempdir().expect("a temp dir");
    let transport = Transport::new(None, dir.path()).expect("a file transport");
    let from = "switchboard@pbx.example".parse().expect("an address");
    let dispatcher = Dispatcher::new(db.clone(), Config::new(transport, from, "https://pbx.example"));
    let started = Instant::now();
    while dispatcher.run_once().await.expect("the dispatcher runs") > 0 {}
    report("write them (.eml, with links)", started.elapsed(), Some(job.total));
    let sent = outbox_message::Entity::find()
        .filter(outbox_message::Column::State.eq(MessageState::Sent))
        .count(db)
        .await
        .expect("count messages");
    assert_eq!(sent, job.total, "every welcome email is sent");
    assert_eq!(std::fs::read_dir(dir.path()).expect("the folder").count() as u64, job.total);
}

fn report(what: &str, took: Duration, users: Option<u64>) {
    match users {
        Some(users) => {
            let rate = users as f64 / took.as_secs_f64();
            println!("   {what:<28} {:>8.2} s  ({rate:.0} users/s)", took.as_secs_f64());
        }
        None => println!("   {what:<28} {:>8.2} s", took.as_secs_f64()),
    }
}
