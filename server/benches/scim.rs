//! `make bench`: an identity provider at work. For each store (a fresh SQLite file; and PostgreSQL if
//! BENCH_DATABASE_URL names a server), seeds the demo domain with BENCH_USERS subscribers (10,000) and
//! resets SCIM_PEOPLE of them (1,000) so that new hires have free extensions; then 8 clients at once
//! (SCIM_CLIENTS), as Okta does it, look each new hire up by `userName` and create them, and then look
//! each up again and deactivate them (PATCH `active: false`, which resets their extension), through the
//! real router in this process. Prints each kind of request's rate, p50 and p99 beside its target and
//! beside a Users page request (the `list_users` server function, one at a time), and the errors; writes
//! them to `bench/results.md`.

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
use app::server::bulk::actions::reset;
use app::server::provisioning::tokens::{self, Maker};
use app::server::settings::{SessionLimits, Settings};
use app::server::{db, directory::demo, AppState};
use app::shared::bulk::ResetOptions;
use app::shared::model::UserQuery;
use app::ui::pages::users::ListUsers;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use settings::setting;
use std::sync::Arc;
use std::time::{Duration, Instant};
use stores::Store;
use timings::at;
use tower::ServiceExt;

const SECTION: &str = "## An identity provider at work (SCIM)";

/// The kinds of request measured, with the p99 each must stay within.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Lookup,
    Create,
    Deactivate,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Lookup => "lookup by userName filter",
            Kind::Create => "create (recycles a free extension)",
            Kind::Deactivate => "deactivate (resets the extension)",
        }
    }

    fn target(self) -> Duration {
        match self {
            Kind::Lookup => Duration::from_millis(100),
            Kind::Create | Kind::Deactivate => Duration::from_millis(250),
        }
    }
}

struct Row {
    what: String,
    count: usize,
    rate: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
    target: Duration,
    ratio: f64,
}

fn main() {
    let users = setting("BENCH_USERS", 10_000);
    let people = setting("SCIM_PEOPLE", 1_000).min(users / 2);
    let clients = setting("SCIM_CLIENTS", 8).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temp dir");
        let stores = Store::every(dir.path()).await;
        let mut rows = Vec::new();
        for store in &stores {
            rows.extend(measure(store, users, people, clients).await);
        }
        for store in stores {
            store.drop_all().await;
        }
        record(&rows, users, people, clients);
    });
}

fn ms(took: Duration) -> String {
    format!("{:.1} ms", took.as_secs_f64() * 1000.0)
}

/// One request through the router: its status and how long it took, body and all.
async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, Duration, String) {
    let started = Instant::now();
    let response = router.clone().oneshot(request).await.expect("the router answers");
    let status = response.status();
    let body = response.into_body().collect().await.expect("the body").to_bytes();
    (status, started.elapsed(), String::from_utf8_lossy(&body).into_owned())
}

fn scim(token: &str, method: &str, path: &str, body: Option<serde_json::Value>) -> Request<Body> {
    let request = Request::builder()
        .method(method)
        .uri(format!("/scim/v2{path}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/scim+json");
    request.body(body.map_or_else(Body::empty, |body| Body::from(body.to_string()))).expect("a request")
}

/// What one client measured: each request's kind, time and whether it was answered as expected.
type Samples = Vec<(Kind, Duration, bool)>;

async fn measure(store: &Store, users: usize, people: usize, clients: usize) -> Vec<Row> {
    println!(
        "== {}: {clients} SCIM clients, {people} new hires then their deactivation, on a domain of {users} users",
        store.name()
    );
    let db = db::connect(&store.fresh().await).await.expect("connect and migrate");
    demo::seed(&db, users as u32, false, |_| {}).await.expect("seed the demo");
    let managed = demo::super_user(&db).await.expect("the demo's Super User");
    let domain = managed.domain().clone();
    let freed: Vec<i32> =
        demo::subscribers(&db, &domain).await.expect("the subscribers").into_iter().take(people).collect();
    let cleared = reset::clear(&db, domain.id, &freed, &ResetOptions::all()).await;
    assert_eq!(cleared.expect("free extensions for the new hires"), reset::Cleared::All);
    let token = tokens::create(&db, &domain, "Bench IdP", Maker::CommandLine).await.expect("a token");
    let leptos_options = LeptosOptions::builder().output_name("switchboard").build();
    let router = server::router(AppState::new(leptos_options, db.clone(), Settings::default()));

    // The reference: a Users page request, one at a time.
    let origin = Origin { addr: None, user_agent: None, presented: None };
    let session =
        sessions::start_now(&db, managed.actor().user_id, origin, &SessionLimits::default()).await.expect("a session");
    let mut page_times = Vec::new();
    for round in 0..55 {
        let body = serde_json::json!({ "domain": domain.name, "query": UserQuery::default() }).to_string();
        let request = Request::post(ListUsers::PATH)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, format!("switchboard_session={session}"))
            .body(Body::from(body))
            .expect("a request");
        let (status, took, body) = send(&router, request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if round >= 5 {
            page_times.push(took);
        }
    }
    let page_p50 = at(&mut page_times, 0.5);

    let token = Arc::new(token);
    let mut rows = Vec::new();
    for phase in [Kind::Create, Kind::Deactivate] {
        let started = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|client| {
                let (router, token) = (router.clone(), token.clone());
                tokio::spawn(async move {
                    let mut samples: Samples = Vec::new();
                    for n in (client..people).step_by(clients) {
                        let user_name = format!("hire{n}@demo.example");
                        let lookup = format!(
                            "/Users?filter=userName%20eq%20%22hire{n}%40demo.example%22&startIndex=1&count=100"
                        );
                        let (status, took, body) = send(&router, scim(&token, "GET", &lookup, None)).await;
                        samples.push((Kind::Lookup, took, status == StatusCode::OK));
                        let found: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                        let (request, expected) = match phase {
                            Kind::Create => {
                                let person = serde_json::json!({
                                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                    "userName": user_name,
                                    "name": { "givenName": "Hire", "familyName": format!("Number{n}") },
                                    "emails": [{ "value": user_name, "type": "work", "primary": true }],
                                    "externalId": format!("00u{n}"),
                                    "active": true,
                                });
                                (scim(&token, "POST", "/Users", Some(person)), StatusCode::CREATED)
                            }
                            _ => {
                                let id = found["Resources"][0]["id"].as_str().unwrap_or("0").to_string();
                                let off = serde_json::json!({
                                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                    "Operations": [{ "op": "replace", "value": { "active": false } }],
                                });
                                (scim(&token, "PATCH", &format!("/Users/{id}"), Some(off)), StatusCode::OK)
                            }
                        };
                        let (status, took, _) = send(&router, request).await;
                        samples.push((phase, took, status == expected));
                    }
                    samples
                })
            })
            .collect();
        let mut samples: Samples = Vec::new();
        for task in tasks {
            samples.extend(task.await.expect("a client"));
        }
        let elapsed = started.elapsed();
        for kind in [Kind::Lookup, phase] {
            let mut times: Vec<Duration> =
                samples.iter().filter(|(k, _, _)| *k == kind).map(|(_, took, _)| *took).collect();
            let errors = samples.iter().filter(|(k, _, ok)| *k == kind && !ok).count();
            let p50 = at(&mut times, 0.5);
            rows.push(Row {
                what: format!(
                    "{}, {} ({})",
                    store.name(),
                    kind.label(),
                    if phase == Kind::Create { "hiring" } else { "leaving" }
                ),
                count: times.len(),
                rate: times.len() as f64 / elapsed.as_secs_f64(),
                p50,
                p99: at(&mut times, 0.99),
                errors,
                target: kind.target(),
                ratio: p50.as_secs_f64() / page_p50.as_secs_f64(),
            });
        }
    }
    println!("   a Users page request (list_users, one at a time): p50 {}", ms(page_p50));
    println!(
        "   {:<58} {:>7} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>22}",
        "request", "count", "req/s", "p50", "p99", "target", "errors", "÷ Users", "last run (p50 / p99)"
    );
    for row in &rows {
        let met = row.p99 <= row.target && row.errors == 0;
        println!(
            "   {:<58} {:>7} {:>9.0} {:>9} {:>9} {:>9} {:>7} {:>9.1}× {:>22}{}",
            row.what,
            row.count,
            row.rate,
            ms(row.p50),
            ms(row.p99),
            format!("≤ {}", ms(row.target)),
            row.errors,
            row.ratio,
            last_run(&row.what),
            if met { "" } else { "  MISSED" }
        );
    }
    rows
}

/// This row's p50 / p99 in the last run, as `record` wrote them.
fn last_run(what: &str) -> String {
    last_run::last_cells(SECTION, what, [4, 5])
}

fn record(rows: &[Row], users: usize, people: usize, clients: usize) {
    let machine = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    let mut section = format!(
        "{SECTION}\n\n`make bench` ({machine} cores, release build): the demo domain of {users} users, {people} of them \
         reset; {clients} clients at once through the router in the bench's process, each looking a new hire up by \
         `userName` and creating them (hiring), then looking each up and deactivating them with Okta's path-less \
         PATCH (leaving). \"÷ Users\" is the p50 over a Users page request's (`list_users`, one at a time).\n\n\
         | request | count | req/s | p50 | p99 | target (p99) | errors | ÷ Users |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    for row in rows {
        let met = row.p99 <= row.target && row.errors == 0;
        section.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | ≤ {}, 0 errors{} | {} | {:.1}× |\n",
            row.what,
            row.count,
            row.rate,
            ms(row.p50),
            ms(row.p99),
            ms(row.target),
            if met { "" } else { " — MISSED" },
            row.errors,
            row.ratio
        ));
    }
    results::record(SECTION, &section);
}
