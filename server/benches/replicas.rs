//! `make bench`: a provider's Monday on PostgreSQL (the server BENCH_DATABASE_URL names; skipped
//! without one). A fresh database with REPLICAS_DOMAINS domains (50) of REPLICAS_USERS subscribers
//! (1,000) each, every subscriber with a phone, and an Office Manager per domain signed in. Three
//! `switchboard serve` replicas (this build) on it; the 50 Office Managers each start a reset of all
//! their domain's users over HTTP at once, spread across the replicas in turn. Once half of all the
//! users are reset, one replica is killed with SIGKILL; the others take its work over, at once what its
//! open transactions held and when its leases run out what it held one by one (REPLICAS_LEASE_SECS,
//! 5). Then it checks, and prints beside the targets:
//! - every user was reset exactly once (each holding of an extension counted up by one, no more);
//! - every job finished, with every user done and none failed;
//! - no job waited more than twice its fair share: at the half-way mark each job had at least a
//!   quarter of its users done (its fair share is half);
//! - no panic in any replica's log.
//!
//! It reports the total time, users per second and the slowest job, and the same run on one replica
//! (nothing killed) for the ratio, beside the last run, into `bench/results.md`. On this machine the
//! replicas share its cores with PostgreSQL: the ratio shows what replicas cost or save here, not on
//! machines of their own.

#[path = "common/client.rs"]
mod client;
#[path = "common/last_run.rs"]
mod last_run;
#[path = "common/results.rs"]
mod results;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/settings.rs"]
mod settings;
#[path = "common/stores.rs"]
#[allow(dead_code, reason = "this part runs on PostgreSQL alone")]
mod stores;

use app::server::auth::sessions::{self, Origin};
use app::server::directory::users::{self, NewUser};
use app::server::entities::{bulk_job, device, user};
use app::server::settings::SessionLimits;
use app::server::{db, directory::domains};
use app::shared::bulk::JobState;
use app::shared::model::{Scope, UserStatus};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use settings::setting;
use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};
use stores::Store;

const SECTION: &str = "## A provider's Monday: three replicas on PostgreSQL";

/// A domain, its Office Manager's session and the ids of the users they reset.
struct Tenant {
    domain: String,
    cookie: String,
    users: Vec<i32>,
}

/// What one run measured and found.
struct Run {
    replicas: usize,
    took: Duration,
    users: usize,
    slowest_job: Duration,
    /// The least-done job's share of its users when half of all users were done, and when that was.
    half_way: Option<(f64, Duration)>,
    /// The most memory a replica held (of those that ran to the end).
    peak: u64,
    /// The checks that failed, in words.
    wrong: Vec<String>,
}

fn main() {
    let domains = setting("REPLICAS_DOMAINS", 50usize).max(1);
    let users = setting("REPLICAS_USERS", 1_000usize).max(1);
    let lease = setting("REPLICAS_LEASE_SECS", 5u64).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let Some(store) = runtime.block_on(Store::postgres()) else {
        println!("== Three replicas on PostgreSQL: skipped, BENCH_DATABASE_URL names no server");
        return;
    };
    let dir = tempfile::tempdir().expect("a temp dir");
    let three = run(&runtime, &store, dir.path(), domains, users, 3, lease);
    let one = run(&runtime, &store, dir.path(), domains, users, 1, lease);
    runtime.block_on(store.drop_all());
    report(&three, &one, domains, users, lease);
}

/// Seeds a fresh database, serves it with `replicas` replicas, has every tenant start their reset at
/// once and (with more than one replica) kills the first replica half-way; checks the outcome.
fn run(
    runtime: &tokio::runtime::Runtime,
    store: &Store,
    dir: &Path,
    domains: usize,
    users: usize,
    replicas: usize,
    lease: u64,
) -> Run {
    let url = runtime.block_on(store.fresh());
    let db = runtime.block_on(db::connect(&url)).expect("connect and migrate");
    println!("== {replicas} replica(s): seeding {domains} domains of {users} users");
    let tenants = runtime.block_on(seed(&db, domains, users));
    let before = runtime.block_on(holdings(&db));
    let lease = lease.to_string();
    let mut servers: Vec<Option<Child>> = Vec::new();
    let mut sites = Vec::new();
    for n in 0..replicas {
        let logs = dir.join(format!("{replicas}-replica-{n}"));
        std::fs::create_dir_all(&logs).expect("a folder for the replica's log");
        let (server, addr) = serve::serve(&url, &logs, &[("BULK_LEASE_SECS", &lease)]);
        servers.push(Some(server));
        sites.push(format!("http://{addr}"));
    }

    // Every Office Manager at once, each through the next replica.
    let began = Instant::now();
    let starts: Vec<_> = tenants
        .into_iter()
        .enumerate()
        .map(|(n, tenant)| {
            let site = sites[n % replicas].clone();
            let body = dir.join(format!("start-{replicas}-{n}.json"));
            std::thread::spawn(move || client::start_reset(&site, &tenant.cookie, &body, &tenant.domain, tenant.users))
        })
        .collect();
    let mut wrong = Vec::new();
    let mut jobs = Vec::new();
    for start in starts {
        match start.join().expect("a start") {
            Ok(job) => jobs.push(job),
            Err(answer) => wrong.push(format!("a reset was not started: {answer}")),
        }
    }
    println!("   {} resets started in {:.2} s", jobs.len(), began.elapsed().as_secs_f64());

    // Watch the jobs; kill the first replica once half of the users are done.
    let total: i64 = (domains * users) as i64;
    let mut half_way = None;
    loop {
        let progress: Vec<(i32, i32, i32, JobState)> = runtime
            .block_on(
                bulk_job::Entity::find()
                    .select_only()
                    .column(bulk_job::Column::Id)
                    .column(bulk_job::Column::DoneCount)
                    .column(bulk_job::Column::Total)
                    .column(bulk_job::Column::State)
                    .filter(bulk_job::Column::Id.is_in(jobs.iter().copied()))
                    .into_tuple()
                    .all(&db),
            )
            .expect("read the jobs");
        let done: i64 = progress.iter().map(|(_, done, _, _)| i64::from(*done)).sum();
        if replicas > 1 && half_way.is_none() && done * 2 >= total {
            serve::stop(servers[0].take().expect("the first replica"));
            let least =
                progress.iter().map(|(_, done, of, _)| f64::from(*done) / f64::from((*of).max(1))).fold(1.0, f64::min);
            half_way = Some((least, began.elapsed()));
            println!(
                "   half-way after {:.1} s: replica 1 killed (SIGKILL); the least-done job had {:.0}% of its users",
                began.elapsed().as_secs_f64(),
                least * 100.0
            );
        }
        if progress.iter().all(|(_, _, _, state)| *state != JobState::Running) || began.elapsed().as_secs() > 900 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let took = began.elapsed();

    let finished = runtime.block_on(bulk_job::Entity::find().all(&db)).expect("read the jobs");
    let mut slowest_job = Duration::ZERO;
    for job in &finished {
        if job.state != JobState::Finished || job.failed_count != 0 || job.done_count != job.total {
            wrong.push(format!(
                "job {} is {:?} with {} of {} done and {} failed",
                job.id, job.state, job.done_count, job.total, job.failed_count
            ));
        }
        if let Some(end) = job.finished_at {
            slowest_job = slowest_job.max((end - job.created_at).to_std().unwrap_or_default());
        }
    }
    if finished.len() != domains {
        wrong.push(format!("{} jobs for {domains} domains", finished.len()));
    }
    let after = runtime.block_on(holdings(&db));
    let reset_once = before.iter().filter(|(id, holding)| after.get(id) == Some(&(**holding + 1))).count();
    if reset_once != before.len() {
        wrong.push(format!("{} of {} users were not reset exactly once", before.len() - reset_once, before.len()));
    }
    if let Some((least, _)) = half_way {
        if least < 0.25 {
            wrong.push(format!("a job had only {:.0}% of its users done half-way", least * 100.0));
        }
    }
    let mut peak = 0;
    for server in servers.into_iter().flatten() {
        peak = peak.max(serve::peak_rss(&server));
        serve::stop(server);
    }
    for n in 0..replicas {
        let log = std::fs::read_to_string(dir.join(format!("{replicas}-replica-{n}/server.log"))).unwrap_or_default();
        if log.contains("panicked") {
            wrong.push(format!("replica {} panicked", n + 1));
        }
    }
    println!(
        "   done in {:.1} s ({:.0} users/s), slowest job {:.1} s; {}",
        took.as_secs_f64(),
        before.len() as f64 / took.as_secs_f64(),
        slowest_job.as_secs_f64(),
        if wrong.is_empty() { "every check holds".to_string() } else { wrong.join("; ") }
    );
    Run { replicas, took, users: before.len(), slowest_job, half_way, peak, wrong }
}

/// `domains` domains of `users` subscribers, each with a phone, and each domain's Office Manager signed
/// in.
async fn seed(db: &DatabaseConnection, domains: usize, users: usize) -> Vec<Tenant> {
    let now = Utc::now();
    let mut tenants = Vec::new();
    for n in 0..domains {
        let name = format!("tenant{n:02}.example");
        let domain = domains::create(db, &name, "Provider", "").await.expect("a domain");
        let manager = NewUser {
            domain: name.clone(),
            extension: "100".into(),
            first_name: "Office".into(),
            last_name: format!("Manager {n}"),
            email: None,
            scope: Scope::OfficeManager,
            password: None,
        };
        let manager = users::create(db, manager).await.expect("an Office Manager");
        let origin = Origin { addr: None, user_agent: None, presented: None };
        let token = sessions::start_now(db, manager.id, origin, &SessionLimits::default()).await.expect("a session");
        let rows: Vec<user::ActiveModel> = (0..users)
            .map(|u| {
                let extension = (1000 + u).to_string();
                user::ActiveModel {
                    domain_id: Set(domain.id),
                    login: Set(format!("{extension}@{name}")),
                    first_name: Set("Staff".into()),
                    last_name: Set(format!("Member {u}")),
                    email: Set(Some(format!("staff.{extension}@{name}"))),
                    extension: Set(extension),
                    scope: Set(Scope::BasicUser),
                    status: Set(UserStatus::PasswordRequired),
                    must_change_password: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
            })
            .collect();
        db::insert_chunked(db, rows).await.expect("the users");
        let ids: Vec<i32> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .filter(user::Column::DomainId.eq(domain.id))
            .filter(user::Column::Scope.eq(Scope::BasicUser))
            .into_tuple()
            .all(db)
            .await
            .expect("the users' ids");
        let phones: Vec<device::ActiveModel> = ids
            .iter()
            .map(|id| device::ActiveModel {
                user_id: Set(*id),
                mac: Set(format!("00:15:65:{:02X}:{:02X}:{:02X}", id >> 16 & 0xff, id >> 8 & 0xff, id & 0xff)),
                model: Set("Yealink T54W".into()),
                sip_username: Set(format!("sip{id}")),
                sip_password: Set(format!("secret{id}")),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        db::insert_chunked(db, phones).await.expect("the phones");
        tenants.push(Tenant { domain: name, cookie: format!("switchboard_session={token}"), users: ids });
    }
    tenants
}

/// Each subscriber's holding of their extension, by id.
async fn holdings(db: &DatabaseConnection) -> HashMap<i32, i32> {
    let rows: Vec<(i32, i32)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Holding)
        .filter(user::Column::Scope.eq(Scope::BasicUser))
        .into_tuple()
        .all(db)
        .await
        .expect("the holdings");
    rows.into_iter().collect()
}

fn report(three: &Run, one: &Run, domains: usize, users: usize, lease: u64) {
    let rate = |run: &Run| run.users as f64 / run.took.as_secs_f64().max(f64::EPSILON);
    let checks = |run: &Run| if run.wrong.is_empty() { "all hold".to_string() } else { run.wrong.join("; ") };
    let (least, at) = three.half_way.map_or(("-".to_string(), "-".to_string()), |(least, at)| {
        (format!("{:.0}%", least * 100.0), format!("{:.1} s", at.as_secs_f64()))
    });
    let rows = [
        ("total time, 3 replicas (one killed half-way)", format!("{:.1} s", three.took.as_secs_f64()), "-"),
        ("users/s, 3 replicas", format!("{:.0}", rate(three)), "-"),
        ("slowest job, start to finish", format!("{:.1} s", three.slowest_job.as_secs_f64()), "-"),
        ("replica killed after", at, "half the users done"),
        ("least-done job at the half-way mark", least, "≥ 25% (fair share 50%)"),
        ("checks (each user reset once, every job finished, no panic)", checks(three), "all hold"),
        ("a replica's peak memory (RSS)", serve::mb(three.peak), "≤ 100 MB"),
        ("total time, 1 replica", format!("{:.1} s", one.took.as_secs_f64()), "-"),
        ("users/s, 1 replica", format!("{:.0}", rate(one)), "-"),
        ("checks, 1 replica", checks(one), "all hold"),
        ("3 replicas' time ÷ 1 replica's", format!("{:.2}", three.took.as_secs_f64() / one.took.as_secs_f64()), "-"),
    ];
    let previous = |figure: &str| last_run::last_cell(SECTION, figure, 2);
    println!("   {:<62} {:>10} {:>24} {:>10}", "figure", "measured", "target", "last run");
    let mut section = format!(
        "{SECTION}\n\n`make bench` (2 cores shared by the replicas and PostgreSQL, release build): {domains} domains of \
         {users} users with a phone each; their {domains} Office Managers start a reset of every user of their domain \
         at once over HTTP, in turn through {} replicas; one replica is killed with SIGKILL once half the users are \
         reset, and its work is taken over (what it held under a lease once the lease runs out, {lease} s). Then the same on one replica.\n\n\
         | figure | measured | target |\n|---|---|---|\n",
        three.replicas
    );
    for (figure, measured, target) in &rows {
        println!("   {figure:<62} {measured:>10} {target:>24} {:>10}", previous(figure));
        section.push_str(&format!("| {figure} | {measured} | {target} |\n"));
    }
    results::record(SECTION, &section);
}
