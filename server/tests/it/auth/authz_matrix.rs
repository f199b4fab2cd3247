//! The authorization matrix: every server function and every route, called by each kind of visitor,
//! with the status each must get. One table; the test fails if a server function or a route exists
//! that has no row, so that nothing new goes unchecked.
//!
//! Each cell acts on users of its own and signs in with a session of its own, so that what one cell
//! changes (a reset started, a password set, a session ended) cannot decide another's answer.

use crate::common::{self, TestApp, PASSWORD};
use crate::logs;
use app::server::auth::authz::Actor;
use app::server::auth::sessions::{self, Origin};
use app::server::directory::domains;
use app::server::directory::users::{self, NewUser};
use app::server::entities::{bulk_job_item, outbox_message, user};
use app::server::provisioning::tokens as api_tokens;
use app::server::settings::SessionLimits;
use app::server::{accounts::links, bulk::actions::reset, bulk::jobs, bulk::schedule, mail::outbox};
use app::shared::accounts::{AccountAction, AccountRequest, NewPassword};
use app::shared::bulk::ItemState;
use app::shared::bulk::Targets;
use app::shared::bulk::{JobAction, RecycleEntry, ResetOptions, ResetRequest, When};
use app::shared::mail::{MessageKind, MessageState};
use app::shared::model::{Scope, UserQuery};
use app::shared::routes;
use app::ui::components::bulk_action::account_step::{PreviewAccountAction, StartAccountAction};
use app::ui::components::bulk_action::progress_step::BulkJobStatus;
use app::ui::components::bulk_action::recycle_step::{RecycleForm, RecycleUsers};
use app::ui::components::bulk_action::reset_step::{PreviewReset, StartReset};
use app::ui::components::job_widgets::{CancelJob, RunScheduledJob, RunningJobs};
use app::ui::pages::activity::{ProvisioningChanges, RecentJobs, RecycleFormForJob};
use app::ui::pages::domains::ListDomains;
use app::ui::pages::outbox::{OutboxMessages, RetryMessage};
use app::ui::pages::provisioning::{CreateApiToken, LoadProvisioning, RevokeApiToken, SaveDeprovisioning};
use app::ui::pages::set_password::PasswordLink;
use app::ui::pages::users::ListUsers;
use app::ui::signed_in::ChangePassword;
use app::ui::signed_in::SetPassword;
use app::ui::signed_in::{CurrentUser, Login, Logout};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::server_fn::ServerFn;
use sea_orm::{prelude::*, ActiveValue::Set};
use std::collections::BTreeSet;

/// Who calls, in the order of each row's statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    SignedOut,
    BasicUser,
    /// The Office Manager of a.example, the domain every row acts on.
    OfficeManager,
    /// The Office Manager of c.example.
    OtherOfficeManager,
    /// A Reseller of R2, which does not own a.example.
    OtherReseller,
    SuperUser,
}

const EVERYONE: [Who; 6] =
    [Who::SignedOut, Who::BasicUser, Who::OfficeManager, Who::OtherOfficeManager, Who::OtherReseller, Who::SuperUser];

impl Who {
    fn login(self) -> Option<&'static str> {
        match self {
            Who::SignedOut => None,
            Who::BasicUser => Some("201@a.example"),
            Who::OfficeManager => Some("200@a.example"),
            Who::OtherOfficeManager => Some("200@c.example"),
            Who::OtherReseller => Some("150@c.example"),
            Who::SuperUser => Some("100@a.example"),
        }
    }
}

/// What a row's request may use: users of a.example made for this cell alone (`target`: Active, with
/// an email and a failed message; `reset_target`: reset, waiting for a new holder), a finished reset of
/// a.example, a running job and a scheduled one made for this cell, a Super User's scheduled offboarding
/// of a.example's Office Manager and one of a.example's Reseller (above the Office Manager), and a link
/// to set a password.
struct Cell {
    target: i32,
    reset_target: i32,
    message: i32,
    job: i32,
    running_job: i32,
    scheduled_job: i32,
    of_manager: i32,
    of_reseller: i32,
    token: String,
    /// An API token of a.example made for this cell, by name.
    api_token: String,
}

const OK: StatusCode = StatusCode::OK;
const FOUND: StatusCode = StatusCode::FOUND;
const UNAUTHORIZED: StatusCode = StatusCode::UNAUTHORIZED;
const FORBIDDEN: StatusCode = StatusCode::FORBIDDEN;
const NOT_FOUND: StatusCode = StatusCode::NOT_FOUND;
const CONFLICT: StatusCode = StatusCode::CONFLICT;

/// A server function row: its path, the JSON (or form) it is called with, and the six statuses.
struct Function {
    path: &'static str,
    call: fn(&Cell) -> Call,
    expected: [StatusCode; 6],
}

enum Call {
    Json(serde_json::Value),
    Form(String),
}

fn json<T: serde::Serialize>(args: T) -> Call {
    Call::Json(serde_json::to_value(args).unwrap())
}

/// A route row: its pattern as the router knows it, the address requested, and the six statuses.
struct Route {
    pattern: &'static str,
    path: fn(&Cell) -> String,
    expected: [StatusCode; 6],
}

/// Scoped to a.example's admins: refused to the signed out, to Basic Users and to other domains' admins.
const A_EXAMPLE_ADMINS: [StatusCode; 6] = [UNAUTHORIZED, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK];
/// Something of a.example looked up by id: to other domains' admins it does not exist.
const A_EXAMPLE_BY_ID: [StatusCode; 6] = [UNAUTHORIZED, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, OK];
/// A job of a.example that offboards its Office Manager, or someone above them: theirs neither to cancel
/// nor to run, though they see it.
const OUT_OF_REACH: [StatusCode; 6] = [UNAUTHORIZED, FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND, OK];
/// Every admin, each in their own scope.
const ANY_ADMIN: [StatusCode; 6] = [UNAUTHORIZED, FORBIDDEN, OK, OK, OK, OK];
/// Open to everyone.
const OPEN: [StatusCode; 6] = [OK; 6];

fn domain() -> String {
    "a.example".to_string()
}

fn functions() -> Vec<Function> {
    vec![
        Function { path: CurrentUser::PATH, call: |_| json(CurrentUser {}), expected: OPEN },
        Function {
            path: Login::PATH,
            call: |_| {
                Call::Form(
                    serde_qs::to_string(&Login { login: "203@a.example".into(), password: PASSWORD.into() }).unwrap(),
                )
            },
            expected: OPEN,
        },
        Function { path: Logout::PATH, call: |_| Call::Form(String::new()), expected: OPEN },
        Function { path: ListDomains::PATH, call: |_| json(ListDomains {}), expected: ANY_ADMIN },
        Function {
            path: ListUsers::PATH,
            call: |_| json(ListUsers { domain: domain(), query: UserQuery::default() }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: RunningJobs::PATH,
            call: |_| json(RunningJobs { domain: domain() }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: BulkJobStatus::PATH,
            call: |cell| json(BulkJobStatus { job: cell.job }),
            expected: A_EXAMPLE_BY_ID,
        },
        Function { path: RecentJobs::PATH, call: |_| json(RecentJobs {}), expected: ANY_ADMIN },
        Function { path: OutboxMessages::PATH, call: |_| json(OutboxMessages {}), expected: ANY_ADMIN },
        Function {
            path: CancelJob::PATH,
            call: |cell| json(CancelJob { job: cell.running_job }),
            expected: A_EXAMPLE_BY_ID,
        },
        Function {
            path: RunScheduledJob::PATH,
            call: |cell| json(RunScheduledJob { job: cell.scheduled_job }),
            expected: A_EXAMPLE_BY_ID,
        },
        // The admin a job targets, and an admin below someone it targets: out of reach.
        Function {
            path: CancelJob::PATH,
            call: |cell| json(CancelJob { job: cell.of_manager }),
            expected: OUT_OF_REACH,
        },
        Function {
            path: RunScheduledJob::PATH,
            call: |cell| json(RunScheduledJob { job: cell.of_manager }),
            expected: OUT_OF_REACH,
        },
        Function {
            path: CancelJob::PATH,
            call: |cell| json(CancelJob { job: cell.of_reseller }),
            expected: OUT_OF_REACH,
        },
        Function {
            path: RunScheduledJob::PATH,
            call: |cell| json(RunScheduledJob { job: cell.of_reseller }),
            expected: OUT_OF_REACH,
        },
        Function {
            path: RecycleFormForJob::PATH,
            call: |cell| json(RecycleFormForJob { job: cell.job }),
            expected: A_EXAMPLE_BY_ID,
        },
        Function {
            path: RetryMessage::PATH,
            call: |cell| json(RetryMessage { id: cell.message }),
            expected: A_EXAMPLE_BY_ID,
        },
        Function {
            path: PreviewReset::PATH,
            call: |cell| json(PreviewReset { domain: domain(), request: reset_request(cell) }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: StartReset::PATH,
            call: |cell| json(StartReset { domain: domain(), request: reset_request(cell) }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: PreviewAccountAction::PATH,
            call: |cell| json(PreviewAccountAction { domain: domain(), request: welcome(cell) }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: StartAccountAction::PATH,
            call: |cell| json(StartAccountAction { domain: domain(), request: welcome(cell) }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: RecycleForm::PATH,
            call: |cell| json(RecycleForm { domain: domain(), user_ids: vec![cell.reset_target] }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: RecycleUsers::PATH,
            call: |cell| {
                let entry = RecycleEntry {
                    user_id: cell.reset_target,
                    first_name: "Nina".into(),
                    last_name: "Park".into(),
                    email: String::new(),
                    send_welcome: false,
                };
                json(RecycleUsers { domain: domain(), entries: vec![entry] })
            },
            expected: A_EXAMPLE_ADMINS,
        },
        // Only for the link's holder, whoever brings it: the link is the authorization.
        Function {
            path: PasswordLink::PATH,
            call: |cell| json(PasswordLink { token: cell.token.clone() }),
            expected: OPEN,
        },
        Function {
            path: SetPassword::PATH,
            call: |cell| json(SetPassword { token: cell.token.clone(), new: new_password() }),
            expected: OPEN,
        },
        Function {
            path: LoadProvisioning::PATH,
            call: |_| json(LoadProvisioning { domain: domain() }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: CreateApiToken::PATH,
            call: |cell| json(CreateApiToken { domain: domain(), name: format!("New {}", cell.target) }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: RevokeApiToken::PATH,
            call: |cell| json(RevokeApiToken { domain: domain(), name: cell.api_token.clone() }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function {
            path: SaveDeprovisioning::PATH,
            call: |_| json(SaveDeprovisioning { domain: domain(), options: ResetOptions::all() }),
            expected: A_EXAMPLE_ADMINS,
        },
        Function { path: ProvisioningChanges::PATH, call: |_| json(ProvisioningChanges {}), expected: ANY_ADMIN },
        // For the signed-in themselves, and only while an admin's forced reset asks for it.
        Function {
            path: ChangePassword::PATH,
            call: |_| json(ChangePassword { new: new_password() }),
            expected: [UNAUTHORIZED, CONFLICT, CONFLICT, CONFLICT, CONFLICT, CONFLICT],
        },
    ]
}

fn routes() -> Vec<Route> {
    vec![
        Route { pattern: "/", path: |_| "/".into(), expected: [FOUND; 6] },
        Route { pattern: "/login", path: |_| "/login".into(), expected: [OK, FOUND, FOUND, FOUND, FOUND, FOUND] },
        Route { pattern: "/set-password", path: |cell| format!("/set-password?token={}", cell.token), expected: OPEN },
        Route { pattern: "/change-password", path: |_| "/change-password".into(), expected: [FOUND; 6] },
        Route { pattern: "/me", path: |_| "/me".into(), expected: [FOUND, OK, OK, OK, OK, OK] },
        Route { pattern: "/domains", path: |_| "/domains".into(), expected: [FOUND, FORBIDDEN, OK, OK, OK, OK] },
        Route {
            pattern: "/domains/{domain}/users",
            path: |_| "/domains/a.example/users".into(),
            expected: [FOUND, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
        },
        Route {
            pattern: routes::PROVISIONING,
            path: |_| routes::provisioning("a.example"),
            expected: [FOUND, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, OK],
        },
        Route { pattern: "/activity", path: |_| "/activity".into(), expected: [FOUND, FORBIDDEN, OK, OK, OK, OK] },
        Route { pattern: "/outbox", path: |_| "/outbox".into(), expected: [FOUND, FORBIDDEN, OK, OK, OK, OK] },
        Route {
            pattern: routes::RESULTS_CSV,
            path: |cell| format!("/activity/{}/results.csv", cell.job),
            expected: [FOUND, FORBIDDEN, OK, NOT_FOUND, NOT_FOUND, OK],
        },
        // The progress streams, as the browser's EventSource opens them.
        Route { pattern: routes::JOB_EVENTS, path: |cell| routes::job_events(cell.job), expected: A_EXAMPLE_BY_ID },
        Route {
            pattern: routes::RUNNING_JOBS,
            path: |_| routes::running_jobs("a.example"),
            expected: A_EXAMPLE_ADMINS,
        },
    ]
}

fn reset_request(cell: &Cell) -> ResetRequest {
    ResetRequest {
        targets: Targets::Ticked(vec![cell.target]),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::Now,
    }
}

fn welcome(cell: &Cell) -> AccountRequest {
    AccountRequest { action: AccountAction::SendWelcome, targets: Targets::Ticked(vec![cell.target]) }
}

fn new_password() -> NewPassword {
    NewPassword {
        password: "violet tractor sings".into(),
        confirmation: "violet tractor sings".into(),
        pin: "2580".into(),
    }
}

/// The users, message, job and link one cell acts on; `n` numbers the cell.
async fn cell(app: &TestApp, n: usize, job: i32) -> Cell {
    let (target, reset_target, link_user) = (1000 + 3 * n, 1001 + 3 * n, 1002 + 3 * n);
    // With an email address (a welcome email can reach them) and no password (hashing one is slow).
    let new = NewUser {
        domain: "a.example".into(),
        extension: target.to_string(),
        first_name: "Tia".into(),
        last_name: "Target".into(),
        email: Some(format!("tia.{target}@a.example")),
        scope: Scope::BasicUser,
        password: None,
    };
    users::create(&app.db, new).await.unwrap();
    app.user_without_password("a.example", &reset_target.to_string(), "Rae", "Reset").await;
    app.user_without_password("a.example", &link_user.to_string(), "Lin", "Link").await;
    let by_extension = |extension: usize| {
        user::Entity::find().filter(user::Column::Login.eq(format!("{extension}@a.example"))).one(&app.db)
    };
    let target = by_extension(target).await.unwrap().unwrap();
    let reset_target = by_extension(reset_target).await.unwrap().unwrap();
    let options = ResetOptions::defaults();
    let cleared = reset::clear(&app.db, reset_target.domain_id, &[reset_target.id], &options).await.unwrap();
    assert_eq!(cleared, reset::Cleared::All);
    let link_user = by_extension(link_user).await.unwrap().unwrap();
    let token = links::issue(&app.db, link_user.id, link_user.holding, MessageKind::Welcome).await.unwrap();
    outbox::enqueue(&app.db, &target, MessageKind::Welcome, "200@a.example").await.unwrap();
    let message = outbox_message::Entity::find()
        .filter(outbox_message::Column::UserId.eq(target.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    outbox_message::ActiveModel { id: Set(message.id), state: Set(MessageState::Failed), ..Default::default() }
        .update(&app.db)
        .await
        .unwrap();
    let tomorrow = Some(chrono::Duration::days(1));
    let a_example = domains::find(&app.db, "a.example").await.unwrap().unwrap();
    let api_token = format!("Cell {n}");
    api_tokens::create(&app.db, &a_example, &api_token, api_tokens::Maker::CommandLine).await.unwrap();
    Cell {
        target: target.id,
        reset_target: reset_target.id,
        message: message.id,
        job,
        running_job: waiting_job(app, new_user(app, n).await, None).await,
        scheduled_job: waiting_job(app, new_user(app, n + 100_000).await, tomorrow).await,
        of_manager: waiting_job(app, freed(app, "200@a.example").await, tomorrow).await,
        of_reseller: waiting_job(app, freed(app, "150@a.example").await, tomorrow).await,
        token,
        api_token,
    }
}

/// A user of a.example of its own for cell `n`'s job.
async fn new_user(app: &TestApp, n: usize) -> i32 {
    let extension = (5000 + n).to_string();
    app.user_without_password("a.example", &extension, "Wes", "Waiting").await;
    app.user_id(&format!("{extension}@a.example")).await
}

/// The user `login`, taken out of the earlier cells' jobs (a user waits in one job at a time).
async fn freed(app: &TestApp, login: &str) -> i32 {
    let id = app.user_id(login).await;
    bulk_job_item::Entity::update_many()
        .col_expr(bulk_job_item::Column::State, sea_orm::sea_query::Expr::value(ItemState::Cancelled))
        .filter(bulk_job_item::Column::UserId.eq(id))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .exec(&app.db)
        .await
        .unwrap();
    id
}

/// A Super User's job of a.example for `waiting` that has not started yet (no worker runs in this
/// test); scheduled that far `ahead`, if given.
async fn waiting_job(app: &TestApp, waiting: i32, ahead: Option<chrono::Duration>) -> i32 {
    let domain = domains::find(&app.db, "a.example").await.unwrap().unwrap();
    let boss = user::Entity::find_by_id(app.user_id("100@a.example").await).one(&app.db).await.unwrap().unwrap();
    let managed = Actor::of(&boss, &domain).manage("a.example", Some(domain)).unwrap();
    let run_at = ahead.map(|ahead| schedule::RunAt { at: chrono::Utc::now() + ahead, zone: chrono_tz::UTC });
    jobs::start(&app.db, &managed, &Targets::Ticked(vec![waiting]), JobAction::SendWelcome, run_at, None)
        .await
        .unwrap()
        .id
}

/// A session of `who` made for one request (no password check: thousands of them would be slow).
async fn cookie(app: &TestApp, who: Who) -> Option<String> {
    let login = who.login()?;
    let user_id = app.user_id(login).await;
    let origin = Origin { addr: None, user_agent: None, presented: None };
    let token = sessions::start_now(&app.db, user_id, origin, &SessionLimits::default()).await.unwrap();
    Some(format!("switchboard_session={token}"))
}

#[test]
fn every_server_function_and_route_answers_each_kind_of_visitor_as_the_table_says() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        app.user("c.example", "150", "Rex", "Other", Scope::Reseller).await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        app.reset_users(&manager, vec![app.user_id("202@a.example").await]).await;
        let job = 1;

        let (functions, routes) = (functions(), routes());
        // Every server function and route has its row.
        let registered: BTreeSet<String> =
            leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
        let tabled: BTreeSet<String> = functions.iter().map(|row| row.path.to_string()).collect();
        assert_eq!(tabled, registered, "server functions without a row (or rows without a server function)");
        let mut served: BTreeSet<String> = server::page_routes().into_iter().collect();
        served.extend([routes::RESULTS_CSV, routes::JOB_EVENTS, routes::RUNNING_JOBS].map(String::from));
        let tabled: BTreeSet<String> = routes.iter().map(|row| row.pattern.to_string()).collect();
        assert_eq!(tabled, served, "routes without a row (or rows without a route)");

        // Both tables as one list of requests, each with the statuses it must get.
        type Make = Box<dyn Fn(&Cell) -> Request<Body>>;
        let mut probes: Vec<(String, [StatusCode; 6], Make)> = Vec::new();
        for row in functions {
            let make = move |cell: &Cell| {
                let (content_type, body) = match (row.call)(cell) {
                    Call::Json(value) => ("application/json", value.to_string()),
                    Call::Form(form) => ("application/x-www-form-urlencoded", form),
                };
                Request::post(row.path).header(header::CONTENT_TYPE, content_type).body(Body::from(body)).unwrap()
            };
            probes.push((row.path.to_string(), row.expected, Box::new(make)));
        }
        for row in routes {
            let make = move |cell: &Cell| {
                Request::get((row.path)(cell)).header(header::ACCEPT, "text/html").body(Body::empty()).unwrap()
            };
            probes.push((format!("GET {}", row.pattern), row.expected, Box::new(make)));
        }

        let mut wrong = Vec::new();
        let mut n = 0;
        for (label, expected, make) in &probes {
            for (who, expected) in EVERYONE.into_iter().zip(*expected) {
                n += 1;
                let mut request = make(&cell(&app, n, job).await);
                if let Some(cookie) = cookie(&app, who).await {
                    request.headers_mut().insert(header::COOKIE, cookie.parse().unwrap());
                }
                // Only the status is awaited: a stream's body goes on while its job runs.
                let logged = logs::mark();
                let response = app.send(request).await;
                let status = response.status();
                if status != expected {
                    let answer = response.into_body().collect().await.map(|body| body.to_bytes()).unwrap_or_default();
                    let answer = String::from_utf8_lossy(&answer);
                    // A page's own words are in its alert, well after the head.
                    let answer = answer.find("role=\"alert\"").map_or(&*answer, |at| &answer[at..]);
                    let log = logs::since(logged);
                    wrong.push(format!("{label} as {who:?}: {status}, not {expected} ({answer:.300})\n{log}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {n} cells differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    })
}

/// Who knocks on the SCIM service, in the order of each SCIM row's statuses.
#[derive(Clone, Copy, Debug)]
enum Knock {
    Nothing,
    /// An Office Manager's session cookie, and no token: a cookie counts for nothing here.
    SessionCookie,
    /// A bearer token that is not one of ours.
    MadeUp,
    /// a.example's token, revoked.
    Revoked,
    /// c.example's token: a.example's people do not exist for it.
    OtherDomain,
    /// a.example's token.
    Own,
}

const KNOCKS: [Knock; 6] =
    [Knock::Nothing, Knock::SessionCookie, Knock::MadeUp, Knock::Revoked, Knock::OtherDomain, Knock::Own];

/// A SCIM row: the route and method, the request (its path filled in with a.example's person `id`),
/// and the six statuses.
struct ScimRow {
    route: &'static str,
    method: &'static str,
    body: Option<serde_json::Value>,
    expected: [StatusCode; 6],
}

fn scim_rows() -> Vec<ScimRow> {
    let refused =
        |own: StatusCode, other: StatusCode| [UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED, UNAUTHORIZED, other, own];
    let deactivate = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "value": { "active": false } }],
    });
    let person =
        serde_json::json!({ "userName": "nina.park@a.example", "name": { "givenName": "Nina", "familyName": "Park" } });
    vec![
        ScimRow { route: "/ServiceProviderConfig", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow { route: "/ResourceTypes", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow { route: "/ResourceTypes/{id}", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow { route: "/Schemas", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow { route: "/Schemas/{id}", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow { route: "/Users", method: "GET", body: None, expected: refused(OK, OK) },
        ScimRow {
            route: "/Users",
            method: "POST",
            body: Some(person.clone()),
            expected: refused(StatusCode::CREATED, StatusCode::CREATED),
        },
        ScimRow { route: "/Users/{id}", method: "GET", body: None, expected: refused(OK, NOT_FOUND) },
        ScimRow { route: "/Users/{id}", method: "PUT", body: Some(person), expected: refused(OK, NOT_FOUND) },
        ScimRow { route: "/Users/{id}", method: "PATCH", body: Some(deactivate), expected: refused(OK, NOT_FOUND) },
        ScimRow {
            route: "/Users/{id}",
            method: "DELETE",
            body: None,
            expected: refused(StatusCode::NO_CONTENT, NOT_FOUND),
        },
        ScimRow {
            route: "/Users/.search",
            method: "POST",
            body: Some(serde_json::json!({ "count": 1 })),
            expected: refused(OK, OK),
        },
        ScimRow {
            route: "/.search",
            method: "POST",
            body: Some(serde_json::json!({ "count": 1 })),
            expected: refused(OK, OK),
        },
    ]
}

#[test]
fn every_scim_route_answers_each_knock_as_the_table_says() {
    use app::server::provisioning::scim::resource::USER_SCHEMA;
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let rows = scim_rows();
        let tabled: BTreeSet<(String, String)> =
            rows.iter().map(|row| (row.route.to_string(), row.method.to_string())).collect();
        let served: BTreeSet<(String, String)> = server::scim_routes()
            .iter()
            .flat_map(|(route, methods)| methods.iter().map(|method| (String::from(*route), String::from(*method))))
            .collect();
        assert_eq!(tabled, served, "SCIM routes without a row (or rows without a route)");

        let a_example = domains::find(&app.db, "a.example").await.unwrap().unwrap();
        let c_example = domains::find(&app.db, "c.example").await.unwrap().unwrap();
        let own = api_tokens::create(&app.db, &a_example, "Okta", api_tokens::Maker::CommandLine).await.unwrap();
        let other = api_tokens::create(&app.db, &c_example, "Okta", api_tokens::Maker::CommandLine).await.unwrap();
        let revoked = api_tokens::create(&app.db, &a_example, "Old", api_tokens::Maker::CommandLine).await.unwrap();
        api_tokens::revoke(&app.db, &a_example, "Old", api_tokens::Maker::CommandLine).await.unwrap();
        let cookie = app.sign_in(&fixture.office_manager, PASSWORD).await.cookie;

        let mut wrong = Vec::new();
        let mut n = 0;
        for row in &rows {
            for (knock, expected) in KNOCKS.into_iter().zip(row.expected) {
                n += 1;
                // A person of a.example of the cell's own, holding an extension.
                // Counting down: a create without a free extension takes one above the highest.
                let extension = (9000 - n).to_string();
                let email = format!("p{n}@a.example");
                users::create(
                    &app.db,
                    NewUser {
                        domain: "a.example".into(),
                        extension,
                        first_name: "Pia".into(),
                        last_name: "Person".into(),
                        email: Some(email.clone()),
                        scope: Scope::BasicUser,
                        password: None,
                    },
                )
                .await
                .unwrap();
                let (_, found) =
                    crate::scim::scim(&app, &own, "GET", &format!("/Users?filter=userName%20eq%20%22{email}%22"), None)
                        .await;
                let id = found["Resources"][0]["id"].as_str().expect("the person is listed").to_string();
                let path = row.route.replace(
                    "{id}",
                    if row.route.starts_with("/Schemas") {
                        USER_SCHEMA
                    } else if row.route.starts_with("/ResourceTypes") {
                        "User"
                    } else {
                        &id
                    },
                );
                let mut body = row.body.clone();
                if let Some(serde_json::Value::Object(object)) = &mut body {
                    if object.contains_key("userName") {
                        object.insert("userName".into(), format!("new{n}@a.example").into());
                    }
                }
                let mut request = Request::builder().method(row.method).uri(format!("{}{path}", routes::SCIM));
                request = match knock {
                    Knock::Nothing => request,
                    Knock::SessionCookie => request.header(header::COOKIE, &cookie),
                    Knock::MadeUp => request.header(header::AUTHORIZATION, "Bearer sbscim_madeup"),
                    Knock::Revoked => request.header(header::AUTHORIZATION, format!("Bearer {revoked}")),
                    Knock::OtherDomain => request.header(header::AUTHORIZATION, format!("Bearer {other}")),
                    Knock::Own => request.header(header::AUTHORIZATION, format!("Bearer {own}")),
                };
                let request = match body {
                    Some(body) => {
                        request.header(header::CONTENT_TYPE, "application/scim+json").body(Body::from(body.to_string()))
                    }
                    None => request.body(Body::empty()),
                };
                let (status, _, answer) = app.request(request.unwrap()).await;
                if status != expected {
                    wrong.push(format!(
                        "{} {} with {knock:?}: {status}, not {expected} ({answer:.200})",
                        row.method, row.route
                    ));
                }
            }
        }
        assert!(wrong.is_empty(), "{} of {n} cells differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    })
}
