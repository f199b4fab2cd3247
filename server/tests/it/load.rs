//! Many pages rendered at once by a real `switchboard serve`, while a bulk job runs: every response
//! arrives whole, and the server logs no panic. (Pages once read signals of a render pass that was
//! already gone, a panic that dropped about one connection in fifteen under this load.)

use crate::common::{self, TestApp};
use app::server::auth::sessions::{self, Origin};
use app::server::settings::SessionLimits;
use app::server::{bulk::actions::reset, directory::demo};
use app::shared::bulk::Targets;
use app::shared::bulk::{ResetOptions, ResetRequest, When};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const USERS: u32 = 300;
const CLIENTS: usize = 16;
const ROUNDS: usize = 3;

/// Every page an admin loads, as the Users page's links make them, and the sign-in page.
const PAGES: [&str; 9] = [
    "/domains/demo.example/users",
    "/domains/demo.example/users?q=smith",
    "/domains/demo.example/users?page=4",
    "/domains/demo.example/users?status=active&sort=name&dir=desc",
    "/activity",
    "/outbox",
    "/domains",
    "/me",
    "/login",
];

/// One page load over a connection of its own: the status line and the whole body, or why not.
async fn load(addr: SocketAddr, path: &str, cookie: Option<&str>) -> Result<(String, String), String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.map_err(|err| format!("connect: {err}"))?;
    let cookie = cookie.map(|cookie| format!("Cookie: {cookie}\r\n")).unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\n{cookie}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|err| format!("send: {err}"))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(|err| format!("dropped after {} bytes: {err}", answer.len()))?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| format!("no headers in {answer:?}"))?;
    let head_lower = head.to_ascii_lowercase();
    let declared = head_lower
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|length| length.trim().parse::<usize>().ok());
    let body = if head_lower.contains("transfer-encoding: chunked") {
        dechunk(body).ok_or_else(|| format!("a chunked body cut short after {} bytes", body.len()))?
    } else if declared.is_some_and(|length| length != body.len()) {
        return Err(format!("{} of {declared:?} bytes", body.len()));
    } else {
        body.to_string()
    };
    Ok((head.lines().next().unwrap_or_default().to_string(), body))
}

/// The body of a chunked answer, if it is whole (up to its last, empty chunk).
fn dechunk(mut rest: &str) -> Option<String> {
    let mut body = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let size = usize::from_str_radix(size.trim(), 16).ok()?;
        if size == 0 {
            return Some(body);
        }
        body.push_str(after.get(..size)?);
        rest = after.get(size..)?.strip_prefix("\r\n")?;
    }
}

#[test]
fn pages_rendered_many_at_once_while_a_job_runs_all_arrive_whole_and_nothing_panics() {
    common::run(async {
        let app = TestApp::new().await;
        demo::seed(&app.db, USERS, false, |_| {}).await.expect("seed the demo");
        let managed = demo::super_user(&app.db).await.unwrap();
        let origin = Origin { addr: None, user_agent: None, presented: None };
        let token =
            sessions::start_now(&app.db, managed.actor().user_id, origin, &SessionLimits::default()).await.unwrap();
        let cookie = format!("switchboard_session={token}");
        let users = demo::subscribers(&app.db, managed.domain()).await.unwrap();
        let request = ResetRequest {
            targets: Targets::Ticked(users),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        reset::start(&app.db, &managed, request, None).await.expect("start a job");

        // A job that runs for the whole test, a few users at a time.
        let server = app.serve(&[("BULK_BATCH_SIZE", "5"), ("BULK_BATCH_PAUSE_MS", "100")]).await;
        let addr = server.addr;

        let clients = (0..CLIENTS).map(|client| {
            let cookie = cookie.clone();
            tokio::spawn(async move {
                let mut wrong = Vec::new();
                for round in 0..ROUNDS {
                    for n in 0..PAGES.len() {
                        // Each client starts at another page, so that every page is rendered beside every other.
                        let path = PAGES[(client + round + n) % PAGES.len()];
                        let signed_in = (path != "/login").then_some(cookie.as_str());
                        match load(addr, path, signed_in).await {
                            Ok((status, body)) if status.ends_with("200 OK") && body.contains("</html>") => {}
                            Ok((status, body)) => wrong.push(format!("{path}: {status}, {} bytes", body.len())),
                            Err(why) => wrong.push(format!("{path}: {why}")),
                        }
                    }
                }
                wrong
            })
        });
        let mut wrong = Vec::new();
        for client in clients.collect::<Vec<_>>() {
            wrong.extend(client.await.expect("a client"));
        }
        let log = server.log();
        drop(server);
        let panics: Vec<&str> = log.lines().filter(|line| line.contains("panicked")).collect();
        assert!(
            wrong.is_empty() && panics.is_empty(),
            "{} of {} pages incomplete: {wrong:#?}\npanics in the server's log: {panics:#?}",
            wrong.len(),
            CLIENTS * ROUNDS * PAGES.len()
        );
    })
}

/// Users pages whose clients leave part-way, as a closed tab, a click elsewhere or a dropped phone
/// connection does. Once the renders' resources have loaded, nothing of those renders is left
/// running: each page's resources used to keep their loading tasks (and with them the render's
/// graph) for good, about half of the pages left while loading.
#[test]
fn pages_left_part_way_leave_no_task_behind() {
    // A runtime of its own: its count of tasks is this test's alone.
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    runtime.block_on(async {
        const PAGE: &str = "/domains/a.example/users";
        const LEFT: u32 = 200;
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.super_user, common::PASSWORD).await;
        let request = || {
            let request =
                Request::get(PAGE).header(header::ACCEPT, "text/html").header(header::COOKIE, &session.cookie);
            request.body(Body::empty()).expect("a request")
        };
        let started = Instant::now();
        let (status, _, _) = app.get(PAGE, Some(&session)).await;
        assert_eq!(status, StatusCode::OK);
        let whole = started.elapsed();
        let tasks = tokio::runtime::Handle::current().metrics();
        let before = tasks.num_alive_tasks();

        // Left at moments spread over a whole page's time here, so that many leave while it loads.
        for n in 0..LEFT {
            let _ = tokio::time::timeout(whole.mul_f64(f64::from(n % 20) / 20.0), app.send(request())).await;
        }
        // What a left page still loads finishes on its own; then its tasks must end.
        let settled = Instant::now() + Duration::from_secs(30);
        while tasks.num_alive_tasks() > before && Instant::now() < settled {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            tasks.num_alive_tasks() <= before,
            "{} tasks alive after {LEFT} pages were left part-way, {before} before",
            tasks.num_alive_tasks()
        );
    })
}
