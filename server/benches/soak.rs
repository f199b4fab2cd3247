//! `make soak` (not part of `make bench`: it takes SOAK_SECS, 15 minutes unless told otherwise): the
//! load of `make bench` held for a long time, to find what only time shows (memory that grows, errors
//! that come late, a panic). A `switchboard serve` (this build, on a fresh SQLite file) with the demo
//! domain of BENCH_USERS subscribers (2,000 unless told otherwise); LOAD_CLIENTS (50) signed-in
//! clients of `wrk` fetching the Users page (plain, searched, paged) and the Activity page, a minute
//! at a time; and meanwhile a reset of SOAK_JOB_USERS (100) users started over HTTP every
//! SOAK_JOB_EVERY_SECS (5) seconds, each of the next users in turn, so that jobs start and finish
//! throughout. Prints, and writes to `bench/results.md`: the server's memory (RSS) after the first
//! minute and at the end, beside the target (within 10%); errors, dropped connections and panics,
//! beside theirs (none); the jobs started and finished; requests per second and the worst minute's
//! 99th percentile, beside the last soak's. A figure off target is printed as such: this measures, it
//! does not fail.

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
use app::server::{db, directory::demo};
use app::shared::bulk::JobState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serve::{mb, serve};
use settings::setting;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECTION: &str = "## A soak";

/// What one minute of load measured.
struct Minute {
    rss: u64,
    figures: wrk::Figures,
}

fn main() {
    let users = setting("BENCH_USERS", 2_000u32);
    let clients = setting("LOAD_CLIENTS", 50);
    let secs = setting("SOAK_SECS", 900u64).max(60);
    let job_users = setting("SOAK_JOB_USERS", 100usize).max(1);
    let job_every = Duration::from_secs(setting("SOAK_JOB_EVERY_SECS", 5).max(1));
    if !wrk::installed() {
        println!("== A soak: skipped, wrk is not installed (make soak installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("soak.db").display());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let (token, domain, ids) = runtime.block_on(async {
        let db = db::connect(&url).await.expect("connect and migrate");
        demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
        let managed = demo::super_user(&db).await.expect("the demo's Super User");
        let origin = Origin { addr: None, user_agent: None, presented: None };
        let limits = SessionLimits::default();
        let token = sessions::start_now(&db, managed.actor().user_id, origin, &limits).await.expect("a session");
        let ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
        (token, managed.domain().name.clone(), ids)
    });
    let cookie = format!("switchboard_session={token}");
    let (server, addr) = serve(&url, dir.path(), &[]);
    let site = format!("http://{addr}");
    println!(
        "== A soak: {clients} signed-in clients for {secs} s, SQLite, {users} users, a reset of {job_users} \
         started every {} s",
        job_every.as_secs()
    );

    // The jobs: started over HTTP in turn until the load ends; each answer that is not a job is kept.
    let loading = Arc::new(AtomicBool::new(true));
    let starter = {
        let (loading, site, cookie, body) =
            (loading.clone(), site.clone(), cookie.clone(), dir.path().join("job.json"));
        std::thread::spawn(move || {
            let (mut started, mut refused, mut next) = (Vec::new(), Vec::new(), 0);
            while loading.load(Ordering::Relaxed) {
                let slice: Vec<i32> = (0..job_users).map(|n| ids[(next + n) % ids.len()]).collect();
                next = (next + job_users) % ids.len();
                match client::start_reset(&site, &cookie, &body, &domain, slice) {
                    Ok(job) => started.push(job),
                    Err(answer) => refused.push(answer),
                }
                // Until the next job, or the end of the load, whichever comes first.
                let asleep = Instant::now();
                while loading.load(Ordering::Relaxed) && asleep.elapsed() < job_every {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            (started, refused)
        })
    };

    let began = Instant::now();
    let mut minutes = Vec::new();
    for minute in 1..=secs.div_ceil(60) {
        let length = (secs - (minute - 1) * 60).min(60);
        let figures = wrk::run(dir.path(), &site, &wrk::PAGES, &cookie, clients, length);
        let rss = serve::rss(&server);
        println!(
            "   minute {minute:>2}: {:>5.0} requests/s, p99 {:>4.0} ms, {} errors, {} dropped, RSS {}",
            figures.rate,
            figures.p99_ms,
            figures.errors,
            figures.dropped,
            mb(rss)
        );
        minutes.push(Minute { rss, figures });
    }
    loading.store(false, Ordering::Relaxed);
    let (started, refused) = starter.join().expect("the jobs' thread");
    let unfinished = runtime.block_on(wait_for_jobs(&url, &started));
    let elapsed = began.elapsed();
    let peak = serve::peak_rss(&server);
    serve::stop(server);
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    let panics: Vec<usize> = (0..lines.len()).filter(|n| lines[*n].contains("panicked")).collect();
    // Where and why (the line after), as the log goes with its folder when the soak ends.
    for n in panics.iter().take(3) {
        println!("   the server panicked: {} {}", lines[*n], lines.get(n + 1).unwrap_or(&""));
    }
    let panics = panics.len();
    for answer in refused.iter().take(3) {
        println!("   a job was refused: {answer}");
    }

    let (first, last) = (&minutes[0], &minutes[minutes.len() - 1]);
    let requests: u64 = minutes.iter().map(|minute| minute.figures.requests).sum();
    let errors: u64 = minutes.iter().map(|minute| minute.figures.errors).sum();
    let dropped: u64 = minutes.iter().map(|minute| minute.figures.dropped).sum();
    let worst_p99 = minutes.iter().map(|minute| minute.figures.p99_ms).fold(0.0, f64::max);
    let growth = (last.rss as f64 / first.rss.max(1) as f64 - 1.0) * 100.0;
    let previous = |figure: &str| last_run::last_cell(SECTION, figure, 2);
    let rows = [
        ("server's memory (RSS) after the first minute", mb(first.rss), "-".to_string()),
        ("server's memory (RSS) at the end", mb(last.rss), "-".to_string()),
        ("change from the first minute to the end", format!("{growth:+.1}%"), "within ±10%".to_string()),
        ("server's peak memory (RSS)", mb(peak), "≤ 100 MB".to_string()),
        ("requests", requests.to_string(), "-".to_string()),
        ("requests/s", format!("{:.0}", requests as f64 / elapsed.as_secs_f64()), "-".to_string()),
        ("worst minute's p99 latency", format!("{worst_p99:.0} ms"), "-".to_string()),
        ("error answers (4xx/5xx)", errors.to_string(), "0".to_string()),
        ("dropped connections", dropped.to_string(), "0".to_string()),
        ("panics in the server log", panics.to_string(), "0".to_string()),
        ("jobs started over HTTP", started.len().to_string(), "-".to_string()),
        ("jobs refused", refused.len().to_string(), "0".to_string()),
        ("jobs unfinished at the end", unfinished.to_string(), "0".to_string()),
    ];
    println!("   {:<48} {:>10} {:>12} {:>12}", "figure", "measured", "target", "last soak");
    for (figure, measured, target) in &rows {
        let off = match target.as_str() {
            "0" => measured != "0",
            "within ±10%" => growth.abs() > 10.0,
            "≤ 100 MB" => peak > 100_000_000,
            _ => false,
        };
        let last = previous(figure);
        println!("   {figure:<48} {measured:>10} {target:>12} {last:>12}{}", if off { "  OFF TARGET" } else { "" });
    }
    record(&rows, clients, secs, users, job_users, job_every);
}

/// Waits (up to ten minutes) until none of `jobs` is running; returns how many still are.
async fn wait_for_jobs(url: &str, jobs: &[i32]) -> u64 {
    let db = db::connect(url).await.expect("connect");
    let started = Instant::now();
    loop {
        let running = bulk_job::Entity::find()
            .filter(bulk_job::Column::Id.is_in(jobs.iter().copied()))
            .filter(bulk_job::Column::State.eq(JobState::Running))
            .count(&db)
            .await
            .expect("count running jobs");
        if running == 0 || started.elapsed() > Duration::from_secs(600) {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Writes this soak's figures into `bench/results.md`, in place of the last soak's.
fn record(rows: &[(&str, String, String)], clients: u64, secs: u64, users: u32, job_users: usize, every: Duration) {
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make soak` ({machine} cores, SQLite, release build): {clients} signed-in clients of wrk for \
         {secs} s fetching {}, with the demo domain of {users} users and a reset of {job_users} of them started \
         over HTTP every {} s.\n\n| figure | measured | target |\n|---|---|---|\n",
        wrk::PAGES.join(", "),
        every.as_secs()
    );
    for (figure, measured, target) in rows {
        section.push_str(&format!("| {figure} | {measured} | {target} |\n"));
    }
    results::record(SECTION, &section);
}
