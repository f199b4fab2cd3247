//! `make bench`: fair share between tenants. On each store, the demo domain (BENCH_USERS subscribers,
//! 10,000 unless told otherwise) starts a reset of all of them with every option; one second later
//! another domain starts a 5-user reset. The server's worker runs in the background as `serve` runs it.
//! Prints how long after its start the small job finished (target ≤ 1 s), beside the large job's whole
//! time (in arrival order, before fair share, the small one finished only after it) and the last run.

#[path = "common/last_run.rs"]
mod last_run;
#[path = "common/results.rs"]
mod results;
#[path = "common/settings.rs"]
mod settings;
#[path = "common/stores.rs"]
mod stores;

use app::server::auth::authz::ManagedDomain;
use app::server::bulk::actions::reset;
use app::server::bulk::worker;
use app::server::directory::users::{self, NewUser};
use app::server::entities::bulk_job;
use app::server::{db, directory::demo, directory::domains};
use app::shared::bulk::{JobState, ResetOptions, ResetRequest, Targets, When};
use app::shared::model::Scope;
use app::shared::words;
use sea_orm::{DatabaseConnection, EntityTrait};
use std::time::{Duration, Instant};
use stores::Store;

const DEFAULT_USERS: u32 = 10_000;
const SMALL: u32 = 5;
const TARGET: Duration = Duration::from_secs(1);
const SECTION: &str = "## Fair share between domains";

fn main() {
    let users = settings::setting("BENCH_USERS", DEFAULT_USERS);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let stores = Store::every(dir.path()).await;
        let mut lines = Vec::new();
        for store in &stores {
            lines.push(measure(store, users).await);
        }
        for store in stores {
            store.drop_all().await;
        }
        let batch = words::number(worker::Config::default().batch_size);
        let mut section = format!(
            "{SECTION}\n\n`make bench` (release build, the worker as `serve` runs it, batches of {batch}): domain A \
             starts a reset of {users} users with every option; one second later domain B starts a {SMALL}-user \
             reset. Before fair share, B finished only after A (3.3 s after its start, measured on issue 26's \
             landed build).\n\n\
             | store | B finished after its start | target | A's whole job, from its start | B, last run |\n\
             |---|---|---|---|---|\n"
        );
        for line in lines {
            section.push_str(&line);
        }
        results::record(SECTION, &section);
    });
}

/// One store's row of the table.
async fn measure(store: &Store, users: u32) -> String {
    println!("== {}: a {SMALL}-user reset one second after a {users}-user one", store.name());
    let db = db::connect(&store.fresh().await).await.expect("connect and migrate");
    demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
    let large = demo::super_user(&db).await.expect("the demo's Super User");
    let (small, small_ids) = small_domain(&db, &large).await;
    let large_ids = demo::subscribers(&db, large.domain()).await.expect("read users");

    let running = worker::spawn(db.clone(), worker::Config::default()).await.expect("the worker");
    let a_started = Instant::now();
    let a = reset::start(&db, &large, request(large_ids, ResetOptions::all()), None).await.expect("start A");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let b_started = Instant::now();
    let b = reset::start(&db, &small, request(small_ids, ResetOptions::all()), None).await.expect("start B");
    finished(&db, b.id).await;
    let b_took = b_started.elapsed();
    let a_state = state(&db, a.id).await;
    finished(&db, a.id).await;
    let a_took = a_started.elapsed();
    running.stop().await;

    let met = if b_took <= TARGET { "" } else { " — MISSED" };
    println!(
        "   B finished {:.0} ms after its start (A was {a_state:?} then); A took {:.2} s",
        b_took.as_secs_f64() * 1000.0,
        a_took.as_secs_f64()
    );
    let last = last_run::last_cell(SECTION, store.name(), 2);
    format!(
        "| {} | {:.0} ms | ≤ {} ms{met} | {:.2} s | {last} |\n",
        store.name(),
        b_took.as_secs_f64() * 1000.0,
        TARGET.as_millis(),
        a_took.as_secs_f64()
    )
}

fn request(ids: Vec<i32>, options: ResetOptions) -> ResetRequest {
    ResetRequest { targets: Targets::Ticked(ids), options, recycle: false, when: When::Now }
}

/// Domain B with `SMALL` users, managed by the demo's Super User.
async fn small_domain(db: &DatabaseConnection, super_user: &ManagedDomain) -> (ManagedDomain, Vec<i32>) {
    let domain = domains::create(db, "small.example", "Bench", "").await.expect("domain B");
    let mut ids = Vec::new();
    for n in 0..SMALL {
        let new = NewUser {
            domain: domain.name.clone(),
            extension: format!("{}", 200 + n),
            first_name: "Small".into(),
            last_name: format!("User {n}"),
            email: None,
            scope: Scope::BasicUser,
            password: None,
        };
        ids.push(users::create(db, new).await.expect("a user of B").id);
    }
    (super_user.actor().manage(&domain.name, Some(domain.clone())).expect("the Super User manages B"), ids)
}

async fn state(db: &DatabaseConnection, job: i32) -> JobState {
    bulk_job::Entity::find_by_id(job).one(db).await.expect("read the job").expect("the job").state
}

/// Waits for job `job` to finish, looking every 5 ms.
async fn finished(db: &DatabaseConnection, job: i32) {
    while state(db, job).await != JobState::Finished {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
