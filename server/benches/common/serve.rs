//! A `switchboard serve` of this build in a process of its own, as an operator runs it, and the most
//! memory it held.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts `switchboard serve` (this build) on `url` at a free port, with `env` besides; its log goes to
/// `dir/server.log`. Returns once it accepts connections.
pub fn serve(url: &str, dir: &Path, env: &[(&str, &str)]) -> (Child, SocketAddr) {
    let addr = TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port");
    let server = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("LEPTOS_OUTPUT_NAME", "switchboard")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("RUST_LOG", "warn")
        .env("OUTBOX_DIR", dir.join("outbox"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("server.log")).expect("a log file"))
        .spawn()
        .expect("start switchboard serve");
    let started = Instant::now();
    while TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, addr)
}

/// The most memory `process` has held so far (Linux's VmHWM), in bytes.
pub fn peak_rss(process: &Child) -> u64 {
    status_kb(process, "VmHWM:") * 1024
}

/// The memory `process` holds now (Linux's VmRSS), in bytes.
#[allow(dead_code, reason = "the benches of load use it, the one of watchers reads the peak only")]
pub fn rss(process: &Child) -> u64 {
    status_kb(process, "VmRSS:") * 1024
}

/// A figure of `/proc/PID/status` given in kB, or 0 if the process is gone.
fn status_kb(process: &Child, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.id())).unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next().and_then(|kb| kb.parse::<u64>().ok()));
    kb.unwrap_or(0)
}

pub fn stop(mut process: Child) {
    let _ = process.kill();
    let _ = process.wait();
}

pub fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}
