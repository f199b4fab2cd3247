//! `make bench`, the portal under load: a `switchboard serve` (this build, on a fresh SQLite file) with
//! the demo domain of BENCH_USERS subscribers (10,000 unless told otherwise), a reset of all of them
//! running the whole time, a few users at a time; and LOAD_CLIENTS (50) signed-in clients of `wrk`
//! fetching the Users page (plain, searched, paged) and the Activity page for LOAD_SECS (20). Prints
//! requests per second and the 99th percentile beside the last run's (`bench/results.md`), and the
//! dropped connections and error answers beside their target, none. A figure off target is printed as
//! such: this measures, it does not fail.

#[path = "common/results.rs"]
mod results;

use app::bulk::Targets;
use app::bulk::{ResetOptions, ResetRequest};
use app::server::auth::sessions::{self, Origin};
use app::server::entities::bulk_job;
use app::server::settings::SessionLimits;
use app::server::{bulk::jobs, db, directory::demo};
use sea_orm::EntityTrait;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// In the repository's root (benchmarks run in their package's folder).
const SECTION: &str = "## Under load";

/// What the clients fetch, in turn.
const PATHS: [&str; 4] = [
    "/domains/demo.example/users",
    "/domains/demo.example/users?q=smith",
    "/domains/demo.example/users?page=7",
    "/activity",
];

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn main() {
    let users = setting("BENCH_USERS", 10_000);
    let clients = setting("LOAD_CLIENTS", 50);
    let secs = setting("LOAD_SECS", 20);
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("== Under load: skipped, wrk is not installed (make bench installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let (cookie, job) = runtime.block_on(prepare(&url, users as u32));

    let addr = TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port");
    let log = dir.path().join("server.log");
    let mut server = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("LEPTOS_OUTPUT_NAME", "switchboard")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        // 50 users a batch and a pause after each: the job outlasts the load.
        .env("BULK_BATCH_SIZE", "50")
        .env("BULK_BATCH_PAUSE_MS", "100")
        .env("RUST_LOG", "warn")
        .env("OUTBOX_DIR", dir.path().join("outbox"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .expect("start switchboard serve");
    wait_until_serving(addr);

    println!("== Under load: {clients} signed-in clients for {secs} s, SQLite, {users} users, a reset of all of them running");
    let script = dir.path().join("load.lua");
    std::fs::write(&script, lua(&cookie)).expect("write the wrk script");
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{clients}"), &format!("-d{secs}s"), "--timeout", "30s", "--latency", "-s"])
        .arg(&script)
        .arg(format!("http://{addr}"))
        .output()
        .expect("run wrk");
    let _ = server.kill();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&output.stdout);
    let figures = Figures::read(&report).unwrap_or_else(|| panic!("cannot read wrk's report:\n{report}"));
    let panics = std::fs::read_to_string(&log).unwrap_or_default().matches("panicked").count();
    let job = runtime.block_on(job_state(&url, job));

    let previous = previous_figures();
    let rows = [
        ("requests/s", format!("{:.0}", figures.rate), "-".to_string(), previous.0),
        ("p99 latency", format!("{:.0} ms", figures.p99_ms), "-".to_string(), previous.1),
        ("dropped connections", figures.dropped.to_string(), "0".to_string(), String::new()),
        ("error answers (4xx/5xx)", figures.errors.to_string(), "0".to_string(), String::new()),
        ("panics in the server log", panics.to_string(), "0".to_string(), String::new()),
    ];
    println!("   {:<26} {:>10} {:>8} {:>12}", "figure", "measured", "target", "last run");
    for (figure, measured, target, last) in &rows {
        let off = target == "0" && measured != "0";
        println!("   {figure:<26} {measured:>10} {target:>8} {last:>12}{}", if off { "  OFF TARGET" } else { "" });
    }
    println!("   ({} requests; the job was {job} when the load ended)", figures.requests);
    record(&rows, clients, secs, users);
}

/// Seeds the demo, signs the Super User in and starts a reset of every subscriber; returns the
/// session cookie and the job's id.
async fn prepare(url: &str, users: u32) -> (String, i32) {
    let db = db::connect(url).await.expect("connect and migrate");
    demo::seed(&db, users, false, |_| {}).await.expect("seed the demo");
    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let origin = Origin { addr: None, user_agent: None, presented: None };
    let token =
        sessions::start(&db, managed.actor().user_id, origin, &SessionLimits::default()).await.expect("a session");
    let user_ids = demo::subscribers(&db, managed.domain()).await.expect("read users");
    let request =
        ResetRequest { targets: Targets::Ticked(user_ids), options: ResetOptions::defaults(), recycle: false };
    let job = jobs::start_reset(&db, &managed, request, None).await.expect("start the reset");
    (format!("switchboard_session={token}"), job.id)
}

async fn job_state(url: &str, id: i32) -> String {
    let db = db::connect(url).await.expect("connect");
    match bulk_job::Entity::find_by_id(id).one(&db).await {
        Ok(Some(job)) => format!("{:?} with {} of {} users done", job.state, job.done_count, job.total).to_lowercase(),
        _ => "gone".to_string(),
    }
}

fn wait_until_serving(addr: SocketAddr) {
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The wrk script: each request the next of `PATHS`, with the session cookie.
fn lua(cookie: &str) -> String {
    let paths: Vec<String> = PATHS.iter().map(|path| format!("{path:?}")).collect();
    format!(
        "local paths = {{ {} }}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  \
         return wrk.format(\"GET\", paths[(n % #paths) + 1], {{ [\"Cookie\"] = \"{cookie}\" }})\nend\n\
         done = function(summary, latency, requests)\n  \
         io.write(string.format(\"dropped %d\\nerrors %d\\n\", summary.errors.connect + summary.errors.read + \
         summary.errors.write + summary.errors.timeout, summary.errors.status))\nend\n",
        paths.join(", ")
    )
}

/// What wrk measured.
struct Figures {
    requests: u64,
    rate: f64,
    p99_ms: f64,
    dropped: u64,
    errors: u64,
}

impl Figures {
    fn read(report: &str) -> Option<Figures> {
        let after = |prefix: &str| {
            report.lines().find_map(|line| line.trim().strip_prefix(prefix).map(|rest| rest.trim().to_string()))
        };
        let requests =
            report.lines().find(|line| line.contains(" requests in "))?.split_whitespace().next()?.parse().ok()?;
        Some(Figures {
            requests,
            rate: after("Requests/sec:")?.parse().ok()?,
            p99_ms: milliseconds(&after("99%")?)?,
            dropped: after("dropped")?.parse().ok()?,
            errors: after("errors")?.parse().ok()?,
        })
    }
}

/// wrk's latencies, like "11.63ms", "840.00us" or "1.20s", in milliseconds.
fn milliseconds(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}

/// The last run's requests/s and p99, as `record` wrote them.
fn previous_figures() -> (String, String) {
    let section = results::last(SECTION);
    let cell = |figure: &str| {
        section
            .lines()
            .find(|line| line.starts_with(&format!("| {figure} |")))
            .and_then(|line| line.split('|').nth(2))
            .map(|cell| cell.trim().to_string())
            .unwrap_or_else(|| "-".to_string())
    };
    (cell("requests/s"), cell("p99 latency"))
}

/// Writes this run's figures into `bench/results.md`, in place of the last run's.
fn record(rows: &[(&str, String, String, String)], clients: u64, secs: u64, users: u64) {
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make bench` ({} cores, SQLite, release build): {clients} signed-in clients of wrk for {secs} s \
         fetching {}, with the demo domain of {users} users and a reset of all of them running.\n\n\
         | figure | measured | target |\n|---|---|---|\n",
        machine,
        PATHS.join(", ")
    );
    for (figure, measured, target, _) in rows {
        section.push_str(&format!("| {figure} | {measured} | {target} |\n"));
    }
    results::record(SECTION, &section);
}
