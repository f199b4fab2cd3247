//! `make bench`, the portal under load: a `switchboard serve` (this build, on a fresh SQLite file) with
//! the demo domain of BENCH_USERS subscribers (10,000 unless told otherwise), a reset of all of them
//! running the whole time, a few users at a time; and LOAD_CLIENTS (50) signed-in clients of `wrk`
//! fetching the Users page (plain, searched, paged) and the Activity page for LOAD_SECS (20). Prints
//! requests per second and the 99th percentile beside the last run's (`bench/results.md`), and the
//! dropped connections and error answers beside their target, none. A figure off target is printed as
//! such: this measures, it does not fail. Then the server's peak memory: under that load, and during a
//! whole reset of every user with every option on a server of its own; and what a server keeps once a
//! few sign-ins (Argon2 checks) are answered.

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
#[path = "common/wrk.rs"]
mod wrk;

use app::server::auth::sessions::{self, Origin};
use app::server::entities::bulk_job;
use app::server::settings::SessionLimits;
use app::server::{bulk::actions::reset, db, directory::demo};
use app::shared::bulk::Targets;
use app::shared::bulk::{JobState, ResetOptions, ResetRequest, When};
use app::ui::signed_in::Login;
use leptos::server_fn::ServerFn;
use sea_orm::EntityTrait;
use serve::{mb, peak_rss, serve};
use settings::setting;
use std::path::Path;
use std::time::{Duration, Instant};

/// In the repository's root (benchmarks run in their package's folder).
const SECTION: &str = "## Under load";

fn main() {
    let users = setting("BENCH_USERS", 10_000);
    let clients = setting("LOAD_CLIENTS", 50);
    let secs = setting("LOAD_SECS", 20);
    if !wrk::installed() {
        println!("== Under load: skipped, wrk is not installed (make bench installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let (cookie, job) = runtime.block_on(prepare(&url, users as u32, ResetOptions::defaults()));
    // 50 users a batch and a pause after each: the job outlasts the load.
    let (server, addr) = serve(&url, dir.path(), &[("BULK_BATCH_SIZE", "50"), ("BULK_BATCH_PAUSE_MS", "100")]);

    println!("== Under load: {clients} signed-in clients for {secs} s, SQLite, {users} users, a reset of all of them running");
    let figures = wrk::run(dir.path(), &format!("http://{addr}"), &wrk::PAGES, &cookie, clients, secs);
    let peak_under_load = peak_rss(&server);
    serve::stop(server);
    let panics = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default().matches("panicked").count();
    let job = runtime.block_on(job_state(&url, job));
    let peak_reset = runtime.block_on(peak_during_reset(dir.path(), users as u32));
    let after_sign_ins = runtime.block_on(rss_after_sign_ins(dir.path()));
    let peak_http_reset = runtime.block_on(peak_during_http_reset(dir.path(), users as u32));

    let previous = previous_figures();
    let rows = [
        ("requests/s", format!("{:.0}", figures.rate), "-".to_string(), previous.0),
        ("p99 latency", format!("{:.0} ms", figures.p99_ms), "-".to_string(), previous.1),
        ("dropped connections", figures.dropped.to_string(), "0".to_string(), String::new()),
        ("error answers (4xx/5xx)", figures.errors.to_string(), "0".to_string(), String::new()),
        ("panics in the server log", panics.to_string(), "0".to_string(), String::new()),
        ("server's peak memory (RSS), under this load", mb(peak_under_load), "≤ 100 MB".to_string(), previous.2),
        ("server's peak memory (RSS), a whole reset alone", mb(peak_reset), "≤ 100 MB".to_string(), previous.3),
        ("server's memory (RSS) once 9 sign-ins are answered", mb(after_sign_ins), "≤ 100 MB".to_string(), previous.4),
        (
            "server's peak memory (RSS), a reset of every user started over HTTP",
            mb(peak_http_reset),
            "≤ 100 MB".to_string(),
            previous.5,
        ),
    ];
    println!("   {:<48} {:>10} {:>10} {:>12}", "figure", "measured", "target", "last run");
    for (figure, measured, target, last) in &rows {
        let off = (target == "0" && measured != "0") || (target.ends_with("MB") && over_memory_target(measured));
        println!("   {figure:<48} {measured:>10} {target:>10} {last:>12}{}", if off { "  OFF TARGET" } else { "" });
    }
    println!("   ({} requests; the job was {job} when the load ended)", figures.requests);
    record(&rows, clients, secs, users);
}

/// Seeds the demo, signs the Super User in and starts a reset of every subscriber with `options`;
/// returns the session cookie and the job's id.
async fn prepare(url: &str, users: u32, options: ResetOptions) -> (String, i32) {
    let db = db::connect(url).await.expect("connect and migrate");
    demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let origin = Origin { addr: None, user_agent: None, presented: None };
    let token =
        sessions::start_now(&db, managed.actor().user_id, origin, &SessionLimits::default()).await.expect("a session");
    let user_ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
    let request = ResetRequest { targets: Targets::Ticked(user_ids), options, recycle: false, when: When::Now };
    let job = reset::start(&db, &managed, request, None).await.expect("start the reset");
    (format!("switchboard_session={token}"), job.id)
}

async fn job_state(url: &str, id: i32) -> String {
    let db = db::connect(url).await.expect("connect");
    match bulk_job::Entity::find_by_id(id).one(&db).await {
        Ok(Some(job)) => format!("{:?} with {} of {} users done", job.state, job.done_count, job.total).to_lowercase(),
        _ => "gone".to_string(),
    }
}

fn over_memory_target(measured: &str) -> bool {
    measured.trim_end_matches(" MB").parse::<f64>().is_ok_and(|mb| mb > 100.0)
}

/// A server on a fresh demo domain of `users`, running a reset of all of them with every option at its
/// own pace (no load, the default batches) until it is finished: the most memory it held meanwhile.
async fn peak_during_reset(dir: &Path, users: u32) -> u64 {
    let url = format!("sqlite://{}?mode=rwc", dir.join("reset.db").display());
    let (_, job) = prepare(&url, users, ResetOptions::all()).await;
    let (server, _) = serve(&url, dir, &[]);
    let db = db::connect(&url).await.expect("connect");
    let started = Instant::now();
    loop {
        let state = bulk_job::Entity::find_by_id(job).one(&db).await.ok().flatten().map(|job| job.state);
        if state != Some(JobState::Running) || started.elapsed() > Duration::from_secs(600) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = peak_rss(&server);
    serve::stop(server);
    println!("   a reset of {users} users with every option, alone: done in {:.1} s", started.elapsed().as_secs_f64());
    peak
}

/// A server of its own on a small demo: its memory (RSS, not the peak) once three sign-ins one after the
/// other and six at once (wrong passwords) over HTTP are answered. Each sign-in makes Argon2 checks of
/// 19 MiB each, on the blocking pool's threads: what the allocator keeps of them shows here.
async fn rss_after_sign_ins(dir: &Path) -> u64 {
    let url = format!("sqlite://{}?mode=rwc", dir.join("sign-ins.db").display());
    let db = db::connect(&url).await.expect("connect and migrate");
    let Ok(demo::Outcome::Seeded(logins)) = demo::seed(&db, 10, false, |_| {}).await else { panic!("seed the demo") };
    let (server, addr) = serve(&url, dir, &[]);
    let site = format!("http://{addr}");
    let (login, password) = &logins.office_manager;
    let sign_in = |password: &str| {
        let fields = format!("login={login}&password={password}");
        let args =
            ["-H", &format!("Origin: {site}"), "-d", &fields, &format!("{site}{}", Login::PATH)].map(str::to_string);
        std::thread::spawn(move || client::curl(&args.iter().map(String::as_str).collect::<Vec<_>>()))
    };
    for _ in 0..3 {
        sign_in(password).join().expect("a sign-in");
    }
    let burst: Vec<_> = (0..6).map(|n| sign_in(&format!("wrong-{n}"))).collect();
    for request in burst {
        request.join().expect("a sign-in");
    }
    let rss = serve::rss(&server);
    println!("   9 sign-ins: the server holds {} once they are answered (peak {})", mb(rss), mb(peak_rss(&server)));
    serve::stop(server);
    rss
}

/// A server of its own on a fresh demo domain of `users`: the Super User signs in over HTTP and starts a
/// reset of every subscriber as the browser does, their ids ticked in one request (the request, its
/// checks, the job's items, then the batches); the most memory it held from the request to the job's
/// end. The sign-in's own peak (its Argon2 checks) is cleared first.
async fn peak_during_http_reset(dir: &Path, users: u32) -> u64 {
    let url = format!("sqlite://{}?mode=rwc", dir.join("http-reset.db").display());
    let db = db::connect(&url).await.expect("connect and migrate");
    let Ok(demo::Outcome::Seeded(logins)) = demo::seed(&db, users, false, |_| {}).await else {
        panic!("seed the demo")
    };
    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
    let (server, addr) = serve(&url, dir, &[]);
    let site = format!("http://{addr}");
    let jar = dir.join("cookies.txt");
    let jar = jar.to_str().expect("a path");
    let (login, password) = &logins.super_user;
    let origin = format!("Origin: {site}");
    client::curl(&[
        "-c",
        jar,
        "-H",
        &origin,
        "-d",
        &format!("login={login}&password={password}"),
        &format!("{site}{}", Login::PATH),
    ]);
    let _ = std::fs::write(format!("/proc/{}/clear_refs", server.id()), "5");
    let started = Instant::now();
    let domain = &managed.domain().name;
    let job = client::start_reset(&site, jar, &dir.join("start.json"), domain, ids)
        .unwrap_or_else(|answer| panic!("the job started: {answer}"));
    while bulk_job::Entity::find_by_id(job).one(&db).await.ok().flatten().map(|job| job.state)
        == Some(JobState::Running)
        && started.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = peak_rss(&server);
    serve::stop(server);
    println!(
        "   a reset of {users} users started over HTTP (ticked ids): done in {:.1} s, peak {}",
        started.elapsed().as_secs_f64(),
        mb(peak)
    );
    peak
}

/// The last run's requests/s, p99 and memory figures, as `record` wrote them.
fn previous_figures() -> (String, String, String, String, String, String) {
    let cell = |figure: &str| last_run::last_cell(SECTION, figure, 2);
    (
        cell("requests/s"),
        cell("p99 latency"),
        cell("server's peak memory (RSS), under this load"),
        cell("server's peak memory (RSS), a whole reset alone"),
        cell("server's memory (RSS) once 9 sign-ins are answered"),
        cell("server's peak memory (RSS), a reset of every user started over HTTP"),
    )
}

/// Writes this run's figures into `bench/results.md`, in place of the last run's.
fn record(rows: &[(&str, String, String, String)], clients: u64, secs: u64, users: u64) {
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make bench` ({} cores, SQLite, release build): {clients} signed-in clients of wrk for {secs} s \
         fetching {}, with the demo domain of {users} users and a reset of all of them running.\n\n\
         | figure | measured | target |\n|---|---|---|\n",
        machine,
        wrk::PAGES.join(", ")
    );
    for (figure, measured, target, _) in rows {
        section.push_str(&format!("| {figure} | {measured} | {target} |\n"));
    }
    results::record(SECTION, &section);
}
