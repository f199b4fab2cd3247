//! The integration tests' world: a real database (a fresh SQLite file, or a fresh PostgreSQL database
//! when TEST_DATABASE_URL points at a server), the real axum router, and requests through it.

use app::server::directory::users::NewUser;
use app::server::settings::Settings;
use app::server::{bulk::worker, db, directory::domains, directory::users, AppState};
use app::shared::bulk::Targets;
use app::shared::error::AppError;
use app::shared::model::Scope;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::LazyLock;
use tower::ServiceExt;

/// Every test of a binary runs on this one multi-threaded runtime, as every request of the server
/// does, rather than on a runtime of its own as `#[tokio::test]` would give it.
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
});

/// Runs one test's body on the shared runtime.
pub fn run<F: std::future::Future>(test: F) -> F::Output {
    crate::logs::install();
    RUNTIME.block_on(test)
}

const REQUEST_GUARD: std::time::Duration = std::time::Duration::from_secs(30);

/// Every user the fixtures create has this password.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub db: DatabaseConnection,
    pub url: String,
    router: axum::Router,
    _store: Store,
}

/// What holds the test's database, and removes it afterwards.
pub enum Store {
    /// Held only to be deleted with the test.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        server_url: String,
        name: String,
    },
    /// Another replica's: removed with the first.
    Shared,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Drop runs outside any runtime we may block on: use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                runtime.block_on(async {
                    let admin = Database::connect(&server_url).await.ok()?;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await.ok()
                })
            })
            .join();
        }
    }
}

/// The database URL for one test: a new SQLite file, or a new database on TEST_DATABASE_URL's server.
pub async fn fresh_database() -> (String, Store) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|url| url.starts_with("postgres")) {
        Some(server_url) => {
            let name = format!("sbtest_{:016x}", rand::thread_rng().gen::<u64>());
            let admin = Database::connect(&server_url).await.expect("connect to TEST_DATABASE_URL");
            admin
                .execute(Statement::from_string(admin.get_database_backend(), format!("CREATE DATABASE \"{name}\"")))
                .await
                .expect("create a test database");
            let base = server_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&server_url).to_string();
            (format!("{base}/{name}"), Store::Postgres { server_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("switchboard.db").display());
            (url, Store::Sqlite { _dir: dir })
        }
    }
}

/// The router of a server on `url`'s database with `settings`: one replica of the portal.
pub async fn replica(url: &str, settings: Settings) -> (DatabaseConnection, axum::Router) {
    let db = db::connect(url).await.expect("connect and migrate");
    let leptos_options = LeptosOptions::builder().output_name("switchboard").build();
    let router = server::router(AppState::new(leptos_options, db.clone(), settings));
    (db, router)
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(Settings::default()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        let (url, store) = fresh_database().await;
        let (db, router) = replica(&url, settings).await;
        TestApp { db, url, router, _store: store }
    }

    /// A portal with `settings`, the domain a.example and one user of `scope` there (extension 201, with
    /// the fixtures' password); returns their login too.
    pub async fn with_one_user(settings: Settings, scope: Scope) -> (Self, String) {
        let app = Self::with_settings(settings).await;
        app.domain("a.example", "R1").await;
        let login = app.user("a.example", "201", "Ava", "Smith", scope).await;
        (app, login)
    }

    /// A portal on the database at `url`, made elsewhere in the test (a backup restored there); the
    /// test keeps it.
    pub async fn at(url: &str) -> TestApp {
        let (db, router) = replica(url, Settings::default()).await;
        TestApp { db, url: url.to_string(), router, _store: Store::Shared }
    }

    /// Another replica of this portal: its own pool and router on the same database.
    pub async fn replica(&self, settings: Settings) -> TestApp {
        let (db, router) = replica(&self.url, settings).await;
        TestApp { db, url: self.url.clone(), router, _store: Store::Shared }
    }

    /// Another replica of this portal on the pool `db` (of this portal's database, opened otherwise).
    pub fn replica_on(&self, db: DatabaseConnection) -> TestApp {
        let leptos_options = LeptosOptions::builder().output_name("switchboard").build();
        let router = server::router(AppState::new(leptos_options, db.clone(), Settings::default()));
        TestApp { db, url: self.url.clone(), router, _store: Store::Shared }
    }

    /// Another replica of this portal whose pool tells `count` the SQL of every statement it runs.
    pub async fn replica_counting(&self, settings: Settings, count: impl Fn(&str) + Send + Sync + 'static) -> TestApp {
        let mut db = db::connect(&self.url).await.expect("connect and migrate");
        db.set_metric_callback(move |info| count(&info.statement.sql));
        let leptos_options = LeptosOptions::builder().output_name("switchboard").build();
        let router = server::router(AppState::new(leptos_options, db.clone(), settings));
        TestApp { db, url: self.url.clone(), router, _store: Store::Shared }
    }

    /// A request as it arrives over a socket from `peer` (the router sees its address).
    pub async fn request_from(&self, peer: SocketAddr, mut request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        self.request(request).await
    }

    pub async fn request(&self, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = self.send(request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("read body").to_bytes();
        (status, headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The router's answer to `request`, its body not yet read (a stream may go on for long).
    pub async fn send(&self, request: Request<Body>) -> axum::response::Response {
        let uri = request.uri().clone();
        // A guard, not a speed test: a request that never answers fails here instead of stalling CI.
        tokio::time::timeout(REQUEST_GUARD, self.router.clone().oneshot(request))
            .await
            .unwrap_or_else(|_| panic!("no answer to {uri} within {REQUEST_GUARD:?}"))
            .expect("the router always answers")
    }

    /// Opens the server-sent event stream at `path` as the browser's `EventSource` does (sending
    /// `last_event_id` when it reconnects).
    pub async fn events(&self, path: &str, session: Option<&Session>, last_event_id: Option<&str>) -> Events {
        let mut request = Request::get(path).header(header::ACCEPT, "text/event-stream");
        if let Some(session) = session {
            request = request.header(header::COOKIE, &session.cookie);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = self.send(request.body(Body::empty()).expect("request")).await;
        Events { status: response.status(), body: response.into_body(), buffer: String::new(), bytes: 0 }
    }

    /// A page load, as a browser makes it.
    pub async fn get(&self, path: &str, session: Option<&Session>) -> (StatusCode, HeaderMap, String) {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html,application/xhtml+xml");
        if let Some(session) = session {
            request = request.header(header::COOKIE, &session.cookie);
        }
        self.request(request.body(Body::empty()).expect("request")).await
    }

    /// Calls server function `F` over HTTP, as the browser does (its arguments as JSON, as every server
    /// function but the sign-in form's takes them), and decodes its answer.
    pub async fn call<F, T>(&self, args: F, session: Option<&Session>) -> (StatusCode, Result<T, AppError>)
    where
        F: ServerFn + Serialize,
        T: DeserializeOwned,
    {
        if app::ui::signed_in::form_paths().contains(&F::PATH) {
            let (status, _, body) = self.call_form(args, session).await;
            return (status, decode(status, &body));
        }
        let mut request = Request::post(F::PATH).header(header::CONTENT_TYPE, "application/json");
        if let Some(session) = session {
            request = request.header(header::COOKIE, &session.cookie);
        }
        let body = serde_json::to_string(&args).expect("encode the arguments");
        let (status, _, body) = self.request(request.body(Body::from(body)).expect("request")).await;
        (status, decode(status, &body))
    }

    /// Calls server function `F` as an HTML form posts (`login`, `logout`); the raw answer.
    pub async fn call_form<F>(&self, args: F, session: Option<&Session>) -> (StatusCode, HeaderMap, String)
    where
        F: ServerFn + Serialize,
    {
        let mut request = Request::post(F::PATH).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(session) = session {
            request = request.header(header::COOKIE, &session.cookie);
        }
        let body = serde_qs::to_string(&args).expect("encode the arguments");
        self.request(request.body(Body::from(body)).expect("request")).await
    }

    /// Signs in through the `login` server function and keeps the session cookie.
    pub async fn sign_in(&self, login: &str, password: &str) -> Session {
        let (status, headers, body) =
            self.call_form(app::ui::signed_in::Login { login: login.into(), password: password.into() }, None).await;
        // As for the browser's fetch: 200, with the redirect to "/" in headers for the client to follow.
        assert!(status.is_success(), "sign-in of {login} failed with {status}: {body}");
        assert_eq!(headers.get(header::LOCATION).map(|l| l.as_bytes()), Some(&b"/"[..]));
        let set_cookie = headers.get(header::SET_COOKIE).expect("a session cookie").to_str().expect("ascii");
        Session { cookie: set_cookie.split(';').next().expect("name=value").to_string(), set_cookie: set_cookie.into() }
    }

    /// The id of the user who signs in as `login`.
    pub async fn user_id(&self, login: &str) -> i32 {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        app::server::entities::user::Entity::find()
            .filter(app::server::entities::user::Column::Login.eq(login))
            .one(&self.db)
            .await
            .expect("read users")
            .unwrap_or_else(|| panic!("no user {login}"))
            .id
    }

    /// Runs this process's job worker until no work is left, as the server's background worker
    /// would, but in step with the test.
    pub async fn run_jobs(&self) {
        use app::server::entities::{bulk_job, bulk_job_item};
        use app::shared::bulk::{ItemState, JobState};
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        // A round that does something takes a pending item or starts a scheduled job.
        let items = bulk_job_item::Entity::find().filter(bulk_job_item::Column::State.eq(ItemState::Pending));
        let scheduled = bulk_job::Entity::find().filter(bulk_job::Column::State.eq(JobState::Scheduled));
        let work =
            items.count(&self.db).await.expect("count items") + scheduled.count(&self.db).await.expect("count jobs");
        let worker = worker::Worker::new(self.db.clone(), worker::Config::default());
        until_idle(work as usize, || async { worker.run_once().await.expect("the worker runs") }).await;
    }

    /// Resets `user_ids` of a.example with the default options as `session`, and runs the job.
    pub async fn reset_users(&self, session: &Session, user_ids: Vec<i32>) {
        use app::shared::bulk::{JobProgress, ResetOptions, ResetRequest, When};
        let request = ResetRequest {
            targets: Targets::Ticked(user_ids),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        let start = app::ui::components::bulk_action::reset_step::StartReset { domain: "a.example".into(), request };
        let (code, job) = self.call::<_, JobProgress>(start, Some(session)).await;
        assert_eq!(code, StatusCode::OK, "{job:?}");
        self.run_jobs().await;
    }

    /// Hands reset `user_id` of a.example to `first last` at `email` as `session`, without a welcome email.
    pub async fn recycle_user(&self, session: &Session, user_id: i32, first: &str, last: &str, email: &str) {
        use app::shared::bulk::{RecycleEntry, RecycleOutcome};
        let entry = RecycleEntry {
            user_id,
            first_name: first.into(),
            last_name: last.into(),
            email: email.into(),
            send_welcome: false,
        };
        let recycle = app::ui::components::bulk_action::recycle_step::RecycleUsers {
            domain: "a.example".into(),
            entries: vec![entry],
        };
        let (code, outcome) = self.call::<_, RecycleOutcome>(recycle, Some(session)).await;
        assert_eq!(outcome.map(|outcome| outcome.saved), Ok(vec![user_id]), "{code}");
    }

    /// The audit log's entries of the given kinds, oldest first, as their action names.
    pub async fn audit_actions(&self, kinds: &[&str]) -> Vec<String> {
        use app::server::entities::audit_log;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.is_in(kinds.iter().copied()))
            .order_by_asc(audit_log::Column::Id)
            .all(&self.db)
            .await
            .expect("read the audit log")
            .into_iter()
            .map(|entry| entry.action)
            .collect()
    }

    /// A phone of the user `user_id`; `n` tells a user's phones apart.
    pub async fn device(&self, user_id: i32, n: u8) {
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        app::server::entities::device::ActiveModel {
            user_id: Set(user_id),
            mac: Set(format!("00:11:22:33:44:{n:02X}")),
            model: Set("Yealink T54W".into()),
            sip_username: Set(format!("u{user_id}d{n}")),
            sip_password: Set("secret".into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("add a device");
    }

    /// A SQL trigger that makes `event` (INSERT, UPDATE or DELETE) on `table` fail with `message` for
    /// the rows where `when` holds (an SQL condition on NEW or OLD), as a real database fault would.
    pub async fn refuse(&self, event: &str, table: &str, when: &str, message: &str) {
        let statements: Vec<String> = match self.db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => vec![
                format!("CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql"),
                format!("CREATE TRIGGER refuse_{table} BEFORE {event} ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION refuse_{table}()"),
            ],
            _ => vec![format!(
                "CREATE TRIGGER refuse_{table} BEFORE {event} ON {table} WHEN {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )],
        };
        for statement in statements {
            self.db.execute_unprepared(&statement).await.expect("create the trigger");
        }
    }

    pub async fn domain(&self, name: &str, reseller: &str) {
        domains::create(&self.db, name, reseller, "").await.expect("create domain");
    }

    /// A user with the fixtures' password and an email made of their name.
    pub async fn user(&self, domain: &str, extension: &str, first: &str, last: &str, scope: Scope) -> String {
        let email = format!("{}.{}@{domain}", first.to_lowercase(), last.to_lowercase());
        let new = NewUser {
            email: Some(email),
            scope,
            password: Some(PASSWORD.into()),
            ..new_user(domain, extension, first, last)
        };
        users::create(&self.db, new).await.expect("create user").login
    }

    /// A Basic User who has no password yet ("Password Required") and no email.
    pub async fn user_without_password(&self, domain: &str, extension: &str, first: &str, last: &str) {
        users::create(&self.db, new_user(domain, extension, first, last)).await.expect("create user");
    }

    /// Two resellers: R1 with a.example and b.example, R2 with c.example; in a.example a Super User
    /// (100), a Reseller (150), an Office Manager (200), a Basic User (201) and two more (202, 203);
    /// in c.example an Office Manager (200) and a Basic User (201).
    pub async fn with_fixture() -> (Self, Fixture) {
        let app = Self::new().await;
        app.domain("a.example", "R1").await;
        app.domain("b.example", "R1").await;
        app.domain("c.example", "R2").await;
        let fixture = Fixture {
            super_user: app.user("a.example", "100", "Sue", "Per", Scope::SuperUser).await,
            reseller: app.user("a.example", "150", "Rita", "Seller", Scope::Reseller).await,
            office_manager: app.user("a.example", "200", "Olga", "Manning", Scope::OfficeManager).await,
            basic: app.user("a.example", "201", "Ava", "Smith", Scope::BasicUser).await,
            other_office_manager: app.user("c.example", "200", "Carl", "Cee", Scope::OfficeManager).await,
        };
        app.user("a.example", "202", "Liam", "Jones", Scope::BasicUser).await;
        app.user("a.example", "203", "Noah", "Brown", Scope::BasicUser).await;
        app.user("c.example", "201", "Zoe", "Far", Scope::BasicUser).await;
        (app, fixture)
    }
}

/// A server function's answer: its value, or the `AppError` it failed with.
fn decode<T: DeserializeOwned>(status: StatusCode, body: &str) -> Result<T, AppError> {
    if status.is_success() || status.is_redirection() {
        Ok(serde_json::from_str(if body.is_empty() { "null" } else { body }).expect("decode the answer"))
    } else {
        Err(serde_json::from_str(body).unwrap_or_else(|err| panic!("not an AppError ({err}): {body}")))
    }
}

/// A Basic User without email or password, for the builders above to complete.
fn new_user(domain: &str, extension: &str, first: &str, last: &str) -> NewUser {
    NewUser {
        domain: domain.into(),
        extension: extension.into(),
        first_name: first.into(),
        last_name: last.into(),
        email: None,
        scope: Scope::BasicUser,
        password: None,
    }
}

pub struct Fixture {
    pub super_user: String,
    pub reseller: String,
    pub office_manager: String,
    pub basic: String,
    pub other_office_manager: String,
}

pub struct Session {
    /// `name=value`, as the browser sends it back.
    pub cookie: String,
    /// The whole Set-Cookie header, attributes included.
    pub set_cookie: String,
}

/// A server-sent event stream being read.
pub struct Events {
    pub status: StatusCode,
    body: Body,
    buffer: String,
    /// Bytes received so far, comments and framing included.
    pub bytes: usize,
}

/// One event: its id, if it has one, and its data.
#[derive(Debug)]
pub struct Event {
    pub id: Option<String>,
    pub data: String,
}

impl Event {
    pub fn decode<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.data).unwrap_or_else(|err| panic!("{err}: {}", self.data))
    }
}

impl Events {
    /// The next event, or `None` once the server has ended the stream; fails the test if none comes
    /// within the request guard.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data) = (None, Vec::new());
                for line in block.lines() {
                    if let Some(value) = line.strip_prefix("id:") {
                        id = Some(value.trim().to_string());
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
                    }
                }
                // A block of comments only (a keep-alive) is no event.
                if !data.is_empty() {
                    return Some(Event { id, data: data.join("\n") });
                }
                continue;
            }
            let frame = tokio::time::timeout(REQUEST_GUARD, self.body.frame())
                .await
                .unwrap_or_else(|_| panic!("no event within {REQUEST_GUARD:?}"))?
                .expect("read the stream");
            if let Ok(data) = frame.into_data() {
                self.bytes += data.len();
                self.buffer.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }
}

/// A real `switchboard serve` process on a test's database (`TestApp::serve`), listening on an address of
/// its own, its log in a file; killed when dropped, however the test ends.
pub struct Served {
    pub addr: SocketAddr,
    process: std::process::Child,
    dir: tempfile::TempDir,
}

impl TestApp {
    /// Starts `switchboard serve` on this test's database with `env` besides (`RUST_LOG` warn unless
    /// said), and waits until it takes connections.
    pub async fn serve(&self, env: &[(&str, &str)]) -> Served {
        let dir = tempfile::tempdir().expect("a temp dir");
        let addr = crate::smtp::free_addr();
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg("serve")
            .env("DATABASE_URL", &self.url)
            .env("LEPTOS_OUTPUT_NAME", "switchboard")
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("RUST_LOG", "warn")
            .env("OUTBOX_DIR", dir.path().join("outbox"))
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("server.log")).expect("a log file"))
            .spawn()
            .expect("start switchboard serve");
        let mut served = Served { addr, process, dir };
        let started = std::time::Instant::now();
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                served.process.try_wait().expect("the server's state").is_none(),
                "the server exited:\n{}",
                served.log()
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        served
    }
}

impl Served {
    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Runs `round` until it handles nothing; returns how many it handled. Each round that handles
/// something handles at least one of the `items`, so a round beyond that many means something was
/// handled again: the test fails here rather than hang.
pub async fn until_idle<F: std::future::Future<Output = usize>>(items: usize, mut round: impl FnMut() -> F) -> usize {
    let mut handled = 0;
    for _ in 0..=items {
        match round().await {
            0 => return handled,
            n => handled += n,
        }
    }
    panic!("still handling after {items} rounds ({handled} handled): some were handled again");
}
