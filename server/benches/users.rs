//! `make bench`: the Users page of a large domain. For each store (a fresh SQLite file; and PostgreSQL if
//! BENCH_DATABASE_URL names a server), seeds the demo with BENCH_USERS subscribers (10,000 unless told
//! otherwise) and their data, signs the Super User in, and asks the real router (in this process, so
//! that the time is the server's alone) BENCH_REQUESTS times (200) for each view of the list: the
//! `list_users` server function, and the whole page's HTML as a browser loads it. Prints p50 and p95
//! beside the target (≤ 20 ms) and the last run, and each view's query plan; writes both to
//! `bench/results.md`.

#[path = "common/last_run.rs"]
mod last_run;
#[path = "common/results.rs"]
mod results;
#[path = "common/settings.rs"]
mod settings;
#[path = "common/stores.rs"]
mod stores;
#[path = "common/timings.rs"]
mod timings;

use app::server::auth::sessions::{self, Origin};
use app::server::settings::{SessionLimits, Settings};
use app::server::{db, directory::demo, directory::users, AppState};
use app::shared::model::{SortDir, SortKey, UserQuery, UserStatus};
use app::ui::pages::users::{query::to_search, ListUsers};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, PaginatorTrait, Statement};
use settings::setting;
use std::time::{Duration, Instant};
use stores::Store;
use tower::ServiceExt;

const SECTION: &str = "## The Users page of a large domain";
const TARGET: Duration = Duration::from_millis(20);

/// The views of the list an admin asks for, each a query of the Users page.
fn views() -> Vec<(&'static str, UserQuery)> {
    let query = UserQuery::default();
    vec![
        ("first page", query.clone()),
        ("search \"smi\"", UserQuery { search: "smi".into(), ..query.clone() }),
        ("search \"ann smi\"", UserQuery { search: "ann smi".into(), ..query.clone() }),
        ("status Active", UserQuery { status: Some(UserStatus::Active), ..query.clone() }),
        ("by extension, descending", UserQuery { dir: SortDir::Desc, ..query.clone() }),
        ("by name", UserQuery { sort: SortKey::Name, ..query.clone() }),
        ("by email", UserQuery { sort: SortKey::Email, ..query.clone() }),
        ("by status", UserQuery { sort: SortKey::Status, ..query.clone() }),
        // Past the end: the last page, found by skipping all the others.
        ("last page", UserQuery { page: 1_000_000, ..query }),
    ]
}

fn main() {
    let users = setting("BENCH_USERS", 10_000);
    let requests = setting("BENCH_REQUESTS", 200).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let stores = Store::every(dir.path()).await;
        let mut rows = Vec::new();
        let mut plans = String::new();
        for store in &stores {
            let (store_rows, store_plans) = measure(store, users, requests).await;
            rows.extend(store_rows);
            plans.push_str(&store_plans);
        }
        for store in stores {
            store.drop_all().await;
        }
        record(&rows, &plans, users, requests);
    });
}

/// One view's figures on one store.
struct Row {
    what: String,
    function: Percentiles,
    page: Percentiles,
}

struct Percentiles {
    p50: Duration,
    p95: Duration,
}

impl Percentiles {
    fn of(mut times: Vec<Duration>) -> Percentiles {
        Percentiles { p50: timings::at(&mut times, 0.50), p95: timings::at(&mut times, 0.95) }
    }
}

fn ms(took: Duration) -> String {
    format!("{:.1} ms", took.as_secs_f64() * 1000.0)
}

async fn measure(store: &Store, users: usize, requests: usize) -> (Vec<Row>, String) {
    println!("== {}: the Users page of {users} users, {requests} requests per view", store.name());
    let db = db::connect(&store.fresh().await).await.expect("connect and migrate");
    demo::seed(&db, users as u32, false, |_| {}).await.expect("seed the demo");
    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let origin = Origin { addr: None, user_agent: None, presented: None };
    let token =
        sessions::start_now(&db, managed.actor().user_id, origin, &SessionLimits::default()).await.expect("a session");
    let cookie = format!("switchboard_session={token}");
    let leptos_options = LeptosOptions::builder().output_name("switchboard").build();
    let router = server::router(AppState::new(leptos_options, db.clone(), Settings::default()));
    let domain = managed.domain().name.clone();

    let mut rows = Vec::new();
    let mut plans = format!("{}:\n", store.name());
    println!(
        "   {:<26} {:>22} {:>22} {:>8} {:>22}",
        "view", "list_users p50/p95", "page HTML p50/p95", "target", "last run (fn/page p95)"
    );
    for (label, query) in views() {
        let function = || {
            let body = serde_json::json!({ "domain": domain, "query": query }).to_string();
            Request::post(ListUsers::PATH)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::COOKIE, &cookie)
                .body(Body::from(body))
                .expect("a request")
        };
        let page = || {
            Request::get(format!("/domains/{domain}/users{}", to_search(&query)))
                .header(header::ACCEPT, "text/html")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("a request")
        };
        let row = Row {
            what: format!("{}, {label}", store.name()),
            function: Percentiles::of(time(&router, function, requests).await),
            page: Percentiles::of(time(&router, page, requests).await),
        };
        let met = row.function.p95 <= TARGET && row.page.p95 <= TARGET;
        println!(
            "   {label:<26} {:>22} {:>22} {:>8} {:>22}{}",
            format!("{} / {}", ms(row.function.p50), ms(row.function.p95)),
            format!("{} / {}", ms(row.page.p50), ms(row.page.p95)),
            format!("≤ {}", ms(TARGET)),
            last_run(&row.what),
            if met { "" } else { "  MISSED" }
        );
        plans.push_str(&format!("  {label}:\n{}", plan(&db, &managed, &query).await));
        rows.push(row);
    }
    println!("   query plans (the ids of each view's page):\n{plans}");
    (rows, plans)
}

/// How long the router takes over each of `n` requests (after a few to warm it up), body and all.
async fn time(router: &axum::Router, request: impl Fn() -> Request<Body>, n: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(n);
    for round in 0..n + 5 {
        let started = Instant::now();
        let response = router.clone().oneshot(request()).await.expect("the router answers");
        let status = response.status();
        let body = response.into_body().collect().await.expect("the body").to_bytes();
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        if round >= 5 {
            times.push(started.elapsed());
        }
    }
    times
}

/// The database's plan for the select of one page of `query`.
async fn plan(db: &DatabaseConnection, managed: &app::server::auth::authz::ManagedDomain, query: &UserQuery) -> String {
    let backend = db.get_database_backend();
    // The page's ids (the last page's, for a page past the end), as `users::page` reads them.
    let total = users::listing(backend, managed.domain(), query).count(db).await.expect("count");
    let last = total.div_ceil(query.per_page).max(1);
    let select = backend.build(&users::page_ids(backend, managed.domain(), query, query.page.min(last)));
    let (explain, column) = match backend {
        DbBackend::Sqlite => ("EXPLAIN QUERY PLAN", "detail"),
        _ => ("EXPLAIN", "QUERY PLAN"),
    };
    let statement = Statement::from_sql_and_values(
        backend,
        format!("{explain} {}", select.sql),
        select.values.unwrap_or(sea_orm::Values(Vec::new())),
    );
    let rows = db.query_all(statement).await.expect("the plan");
    rows.iter().filter_map(|row| row.try_get::<String>("", column).ok()).map(|line| format!("    {line}\n")).collect()
}

/// This view's p95s in the last run, as `record` wrote them.
fn last_run(what: &str) -> String {
    last_run::last_cells(SECTION, what, [3, 5])
}

fn record(rows: &[Row], plans: &str, users: usize, requests: usize) {
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make bench` ({machine} cores, release build, SQLite and local PostgreSQL): the demo domain of \
         {users} users with their data; {requests} requests per view, one at a time, through the router in the \
         bench's process (the server's time alone), signed in as the Super User; 50 users a page.\n\n\
         | view | list_users p50 | list_users p95 | page HTML p50 | page HTML p95 | target (p95) |\n\
         |---|---|---|---|---|---|\n"
    );
    for row in rows {
        let met = row.function.p95 <= TARGET && row.page.p95 <= TARGET;
        section.push_str(&format!(
            "| {} | {} | {} | {} | {} | ≤ {}{} |\n",
            row.what,
            ms(row.function.p50),
            ms(row.function.p95),
            ms(row.page.p50),
            ms(row.page.p95),
            ms(TARGET),
            if met { "" } else { " — MISSED" }
        ));
    }
    section.push_str(&format!(
        "\nQuery plans of each view (the ids of its page, from which the rows are read by id):\n\n```\n{plans}```\n"
    ));
    results::record(SECTION, &section);
}
