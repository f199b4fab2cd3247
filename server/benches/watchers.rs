//! `make bench`, many people watching one job: a `switchboard serve` (this build) with the demo domain of
//! WATCH_USERS subscribers (3,000) and a reset of nearly all of them running slowly the whole time, on a
//! fresh SQLite file and on a fresh PostgreSQL database (BENCH_DATABASE_URL). Then, for WATCH_SECS (10)
//! each:
//! - nobody watching (the reference: what the worker itself costs);
//! - WATCHERS (500) admins, each signed in with a session of their own, watching the running job's
//!   progress stream, as its dialog does;
//! - WATCHERS_SCHEDULED (300) watching a job scheduled for tomorrow, which changes nothing.
//!
//! Each time: the server's CPU (share of one core), the database's statements per second (PostgreSQL's
//! committed transactions of that database: each statement a stream sends is one), and, meanwhile, the
//! Users page's p99 for 10 clients of `wrk`. Printed beside the targets and the last run, written to
//! `bench/results.md`. A figure off target is printed as such: this measures, it does not fail.

#[path = "common/results.rs"]
mod results;
#[path = "common/serve.rs"]
mod serve;
#[path = "common/settings.rs"]
mod settings;
#[path = "common/stores.rs"]
mod stores;
#[path = "common/wrk.rs"]
mod wrk;

use app::server::auth::sessions::{self, Origin};
use app::server::bulk::{actions::reset, jobs, schedule};
use app::server::settings::SessionLimits;
use app::server::{db, directory::demo};
use app::shared::bulk::{ResetOptions, ResetRequest, Targets, When};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use settings::setting;
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use stores::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECTION: &str = "## Watching a job";

/// How long PostgreSQL may take to count a transaction in its statistics.
const STATISTICS_SETTLE: Duration = Duration::from_secs(11);

/// The figures of one measurement.
struct Window {
    watchers: usize,
    cpu: f64,
    statements: Option<f64>,
    users_page: wrk::Figures,
}

fn main() {
    if !wrk::installed() {
        println!("== Watching a job: skipped, wrk is not installed (make bench installs it)");
        return;
    }
    let users = setting("WATCH_USERS", 3_000) as u32;
    let secs = setting("WATCH_SECS", 10);
    let watchers = setting("WATCHERS", 500) as usize;
    let scheduled_watchers = setting("WATCHERS_SCHEDULED", 300) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let rows = runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut rows = Vec::new();
        for store in Store::every(dir.path()).await {
            let url = store.fresh().await;
            let world = World::prepare(&url, users, watchers.max(scheduled_watchers) + 1).await;
            // A batch of 10 users every half second: the job outlasts the measurements.
            let (server, addr) =
                serve::serve(&url, dir.path(), &[("BULK_BATCH_SIZE", "10"), ("BULK_BATCH_PAUSE_MS", "500")]);
            let counter = match &store {
                Store::Postgres { admin, .. } => {
                    Some((admin.clone(), url.rsplit('/').next().unwrap_or("").to_string()))
                }
                Store::Sqlite(_) => None,
            };
            println!("== Watching a job: {}, {users} users, a reset of them running", store.name());
            let measure =
                |job: Option<i32>, n: usize| measure(&world, &server, addr, counter.as_ref(), job, n, dir.path(), secs);
            let alone = measure(None, 0).await;
            let running = measure(Some(world.running), watchers).await;
            let waiting = measure(Some(world.scheduled), scheduled_watchers).await;
            let peak = serve::peak_rss(&server);
            serve::stop(server);
            rows.push((store.name(), alone, running, waiting, peak));
            store.drop_all().await;
        }
        rows
    });
    print_and_record(&rows, users, secs);
}

/// The demo domain, a running reset of all but ten of its users and a reset of those ten scheduled for
/// tomorrow, and `sessions` sessions of its Super User.
struct World {
    running: i32,
    scheduled: i32,
    cookies: Vec<String>,
}

impl World {
    async fn prepare(url: &str, users: u32, sessions: usize) -> World {
        let db = db::connect(url).await.expect("connect and migrate");
        demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
        let managed = demo::super_user(&db).await.expect("the demo's Super User");
        let mut ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
        let later: Vec<i32> = ids.drain(..10).collect();
        let tomorrow = schedule::RunAt { at: chrono::Utc::now() + chrono::Duration::days(1), zone: chrono_tz::UTC };
        let action = app::shared::bulk::JobAction::Reset { options: ResetOptions::defaults(), recycle: false };
        let scheduled = jobs::start(&db, &managed, &Targets::Ticked(later), action, Some(tomorrow), None)
            .await
            .expect("schedule a reset")
            .id;
        let request = ResetRequest {
            targets: Targets::Ticked(ids),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        let running = reset::start(&db, &managed, request, None).await.expect("start the reset").id;
        let mut cookies = Vec::new();
        for _ in 0..sessions {
            let origin = Origin { addr: None, user_agent: None, presented: None };
            let token = sessions::start_now(&db, managed.actor().user_id, origin, &SessionLimits::default())
                .await
                .expect("a session");
            cookies.push(format!("switchboard_session={token}"));
        }
        World { running, scheduled, cookies }
    }
}

/// `n` watchers of job `job` (none: nobody watches) for `secs`: the server's CPU and the database's
/// statements meanwhile; then, still watched, the Users page's p99 under wrk.
#[allow(clippy::too_many_arguments)]
async fn measure(
    world: &World,
    server: &Child,
    addr: SocketAddr,
    counter: Option<&(DatabaseConnection, String)>,
    job: Option<i32>,
    n: usize,
    dir: &std::path::Path,
    secs: u64,
) -> Window {
    let open = Arc::new(AtomicUsize::new(0));
    let mut streams = tokio::task::JoinSet::new();
    if let Some(job) = job {
        for cookie in world.cookies.iter().skip(1).take(n) {
            streams.spawn(watch(addr, job, cookie.clone(), open.clone()));
        }
        // Every stream answered, and a moment for them to settle.
        while open.load(Ordering::SeqCst) < n && !streams.is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // PostgreSQL's backends report what they committed when next idle, up to 10 s later
    // (PGSTAT_IDLE_INTERVAL): the statements of the streams' sign-ins and of the last window's Users
    // pages must be in before the count starts, not in it.
    if counter.is_some() {
        tokio::time::sleep(STATISTICS_SETTLE).await;
    }
    let (cpu_before, statements_before) = (serve_cpu(server), committed(counter).await);
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (serve_cpu(server) - cpu_before).as_secs_f64() / elapsed;
    let statements = match (statements_before, committed(counter).await) {
        (Some(before), Some(after)) => Some((after - before) as f64 / elapsed),
        _ => None,
    };
    let base = format!("http://{addr}");
    let users_page = ["/domains/demo.example/users"];
    let wrk = tokio::task::block_in_place(|| wrk::run(dir, &base, &users_page, &world.cookies[0], 10, secs));
    let watchers = open.load(Ordering::SeqCst);
    streams.abort_all();
    while streams.join_next().await.is_some() {}
    Window { watchers, cpu, statements, users_page: wrk }
}

fn serve_cpu(server: &Child) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", server.id())).unwrap_or_default();
    // The fields after the command's name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |n: usize| fields.get(n).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are the 14th and 15th fields; `fields` starts at the 3rd. Linux counts 100 a second.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// The database's committed transactions so far (PostgreSQL only).
async fn committed(counter: Option<&(DatabaseConnection, String)>) -> Option<i64> {
    let (admin, name) = counter?;
    // The statistics are those the server has flushed: ask it to forget its snapshot first.
    admin.execute_unprepared("SELECT pg_stat_clear_snapshot()").await.ok()?;
    let row = admin
        .query_one(Statement::from_sql_and_values(
            admin.get_database_backend(),
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1",
            [name.clone().into()],
        ))
        .await
        .ok()??;
    row.try_get_by_index(0).ok()
}

/// One watcher: opens the job's progress stream as the browser's EventSource does and reads it until
/// aborted; counts itself open once the server has answered 200.
async fn watch(addr: SocketAddr, job: i32, cookie: String, open: Arc<AtomicUsize>) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else { return };
    let request = format!(
        "GET /api/jobs/{job}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut buffer = vec![0u8; 4096];
    let mut counted = false;
    while let Ok(read) = stream.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        if !counted && buffer[..read].starts_with(b"HTTP/1.1 200") {
            counted = true;
            open.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn print_and_record(rows: &[(&str, Window, Window, Window, u64)], users: u32, secs: u64) {
    let last = results::last(SECTION);
    let previous = |figure: &str| {
        last.lines()
            .find(|line| line.starts_with(&format!("| {figure} |")))
            .and_then(|line| line.split('|').nth(2))
            .map(|cell| cell.trim().to_string())
            .unwrap_or_else(|| "-".to_string())
    };
    let mut table = Vec::new();
    for (store, alone, running, waiting, peak) in rows {
        let statements = |window: &Window| window.statements.map_or("-".to_string(), |n| format!("{n:.0}/s"));
        let cpu = |window: &Window| format!("{:.0}%", window.cpu * 100.0);
        let p99 = |window: &Window| format!("{:.0} ms", window.users_page.p99_ms);
        let rate = |window: &Window| format!("{:.0}/s", window.users_page.rate);
        let failed = |window: &Window| (window.users_page.dropped + window.users_page.errors).to_string();
        let running_label = format!("{store}, {} watchers of a running job", running.watchers);
        let waiting_label = format!("{store}, {} watchers of a scheduled job", waiting.watchers);
        let alone_label = format!("{store}, nobody watching");
        for (figure, measured, target, reference) in [
            (format!("{running_label}: server CPU (of one core)"), cpu(running), "≤ 25%", cpu(alone)),
            (format!("{running_label}: database statements"), statements(running), "≤ 100/s", statements(alone)),
            (format!("{running_label}: Users page p99"), p99(running), "≤ 250 ms", p99(alone)),
            (format!("{running_label}: Users pages served"), rate(running), "-", rate(alone)),
            (format!("{running_label}: Users pages dropped or refused"), failed(running), "0", failed(alone)),
            (format!("{waiting_label}: server CPU (of one core)"), cpu(waiting), "≤ 5%", cpu(alone)),
            (format!("{waiting_label}: database statements"), statements(waiting), "≤ 25/s", statements(alone)),
            (format!("{alone_label}: server CPU (of one core)"), cpu(alone), "-", "-".to_string()),
            (format!("{store}: server's peak memory (RSS)"), serve::mb(*peak), "≤ 100 MB", "-".to_string()),
        ] {
            let last = previous(&figure);
            table.push((figure, measured, target.to_string(), reference, last));
        }
    }
    for (store, _, running, ..) in rows {
        println!("   ({store}: {} Users pages in all beside the running job's watchers)", running.users_page.requests);
    }
    println!("   {:<72} {:>10} {:>10} {:>10} {:>10}", "figure", "measured", "target", "reference", "last run");
    for (figure, measured, target, reference, last) in &table {
        let off = over(measured, target) || (target == "0" && measured != "0");
        println!(
            "   {figure:<72} {measured:>10} {target:>10} {reference:>10} {last:>10}{}",
            if off { "  OFF TARGET" } else { "" }
        );
    }
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make bench` ({machine} cores, release build): the demo domain of {users} users with a reset of \
         them running (10 users every half second); for {secs} s each, nobody watching, then each watcher with a \
         session of their own on the job's progress stream; meanwhile 10 clients of wrk on the Users page. The \
         reference is the same figure with nobody watching. Database statements are PostgreSQL's committed \
         transactions of that database.\n\n| figure | measured | target | reference |\n|---|---|---|---|\n"
    );
    for (figure, measured, target, reference, _) in &table {
        section.push_str(&format!("| {figure} | {measured} | {target} | {reference} |\n"));
    }
    results::record(SECTION, &section);
}

/// Whether `measured` is over a "≤ N%", "≤ N ms", "≤ N MB" or "≤ N/s" target.
fn over(measured: &str, target: &str) -> bool {
    let number = |text: &str| {
        let unit = text.trim_start_matches("≤ ").trim_end_matches(" ms").trim_end_matches(" MB").trim_end_matches("/s");
        unit.trim_end_matches('%').trim().parse::<f64>().ok()
    };
    matches!((number(measured), target.starts_with('≤').then(|| number(target)).flatten()), (Some(m), Some(t)) if m > t)
}
