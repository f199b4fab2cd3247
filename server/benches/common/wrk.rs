//! Load from `wrk` (Debian's): signed-in clients fetching pages in turn, and what it reports.

use std::path::Path;
use std::process::Command;

/// What the load's clients fetch, in turn: the demo domain's Users page (plain, searched, paged) and
/// the Activity page.
#[allow(dead_code, reason = "the benches of load use it, the one of watchers has pages of its own")]
pub const PAGES: [&str; 4] = [
    "/domains/demo.example/users",
    "/domains/demo.example/users?q=smith",
    "/domains/demo.example/users?page=7",
    "/activity",
];

pub fn installed() -> bool {
    Command::new("wrk").arg("--version").output().is_ok()
}

/// Runs `clients` connections of wrk for `secs` seconds against `base`, each request the next of
/// `paths` with the session `cookie`; its script goes into `dir`.
pub fn run(dir: &Path, base: &str, paths: &[&str], cookie: &str, clients: u64, secs: u64) -> Figures {
    let script = dir.join("load.lua");
    std::fs::write(&script, lua(paths, cookie)).expect("write the wrk script");
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{clients}"), &format!("-d{secs}s"), "--timeout", "30s", "--latency", "-s"])
        .arg(&script)
        .arg(base)
        .output()
        .expect("run wrk");
    let report = String::from_utf8_lossy(&output.stdout);
    Figures::read(&report).unwrap_or_else(|| panic!("cannot read wrk's report:\n{report}"))
}

/// The wrk script: each request the next of `paths`, with the session cookie.
fn lua(paths: &[&str], cookie: &str) -> String {
    let paths: Vec<String> = paths.iter().map(|path| format!("{path:?}")).collect();
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
pub struct Figures {
    pub requests: u64,
    pub rate: f64,
    pub p99_ms: f64,
    pub dropped: u64,
    pub errors: u64,
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
