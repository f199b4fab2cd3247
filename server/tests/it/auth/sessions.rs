//! Sessions end after a while unused and a while after sign-in, whatever happens; the cookie lasts the
//! browser session only; signing in ends the session the browser came with.

use crate::accounts::{account_action, new_password, GOOD_PASSWORD, GOOD_PIN};
use crate::common::{self, Session, TestApp, PASSWORD};
use app::server::accounts::links;
use app::server::entities::session;
use app::server::settings::Settings;
use app::shared::accounts::AccountAction;
use app::shared::mail::MessageKind;
use app::shared::model::{Me, Scope};
use app::ui::signed_in::CurrentUser;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ActiveValue::Unchanged, EntityTrait};
use std::time::Duration;

async fn who(app: &TestApp, session: &Session) -> Option<String> {
    app.call::<_, Option<Me>>(CurrentUser {}, Some(session)).await.1.unwrap().map(|me| me.login)
}

/// Moves the times of every session of the app back by `by`, as if that long had passed (instead of
/// waiting for it: nothing then depends on how fast the machine is).
async fn time_passes(app: &TestApp, by: chrono::Duration) {
    for row in session::Entity::find().all(&app.db).await.unwrap() {
        session::ActiveModel {
            id: Unchanged(row.id),
            last_seen_at: Set(row.last_seen_at - by),
            created_at: Set(row.created_at - by),
            expires_at: Set(row.expires_at - by),
            ..Default::default()
        }
        .update(&app.db)
        .await
        .unwrap();
    }
}

/// The times of `app`'s only session.
async fn times(app: &TestApp) -> session::Model {
    session::Entity::find().one(&app.db).await.unwrap().expect("a session")
}

#[test]
fn a_session_lives_while_it_is_used_and_ends_after_a_while_unused() {
    common::run(async {
        let (app, login) = TestApp::with_one_user(Settings::default(), Scope::OfficeManager).await;
        let idle = chrono::Duration::minutes(30);
        let session = app.sign_in(&login, PASSWORD).await;
        // Used every 25 minutes for two hours, four times the idle limit: still signed in, each use
        // renewing it.
        for _ in 0..5 {
            time_passes(&app, chrono::Duration::minutes(25)).await;
            assert_eq!(who(&app, &session).await.as_deref(), Some(login.as_str()));
            assert!(chrono::Utc::now() - times(&app).await.last_seen_at < chrono::Duration::minutes(1), "renewed");
        }
        // Then unused for a little longer than the limit: over.
        time_passes(&app, idle + chrono::Duration::seconds(1)).await;
        assert_eq!(who(&app, &session).await, None);
    })
}

#[test]
fn a_session_ends_at_its_maximum_however_much_it_is_used() {
    common::run(async {
        let (app, login) = TestApp::with_one_user(Settings::default(), Scope::OfficeManager).await;
        let session = app.sign_in(&login, PASSWORD).await;
        // Used every 20 minutes, for eleven hours and forty minutes: still signed in.
        for _ in 0..35 {
            time_passes(&app, chrono::Duration::minutes(20)).await;
            assert!(who(&app, &session).await.is_some());
        }
        // Twenty minutes more is past twelve hours since sign-in, used or not.
        time_passes(&app, chrono::Duration::minutes(20)).await;
        assert_eq!(who(&app, &session).await, None);
    })
}

#[test]
fn the_cookie_lasts_the_browser_session_and_signing_in_ends_the_one_it_came_with() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let basic = app.sign_in(&fixture.basic, PASSWORD).await;
        let attributes = basic.set_cookie.to_lowercase();
        assert!(!attributes.contains("max-age") && !attributes.contains("expires"), "{attributes}");

        // Someone else signs in on the same browser: the first session ends, on the server.
        let (status, headers, _) = {
            let body = serde_qs::to_string(&app::ui::signed_in::Login {
                login: fixture.office_manager.clone(),
                password: PASSWORD.into(),
            })
            .unwrap();
            let request = axum::http::Request::post(<app::ui::signed_in::Login as leptos::server_fn::ServerFn>::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &basic.cookie)
                .body(axum::body::Body::from(body))
                .unwrap();
            app.request(request).await
        };
        assert!(status.is_success());
        let cookie = headers.get("set-cookie").unwrap().to_str().unwrap();
        let manager = Session { cookie: cookie.split(';').next().unwrap().into(), set_cookie: cookie.into() };
        assert_eq!(who(&app, &basic).await, None);
        assert_eq!(who(&app, &manager).await, Some(fixture.office_manager.clone()));

        // So does a set-password link opened on a signed-in browser.
        app.user_without_password("a.example", "204", "Mia", "Noe").await;
        let mia = crate::accounts::user_by_login(&app, "204@a.example").await;
        let token = links::issue(&app.db, mia.id, mia.holding, MessageKind::Welcome).await.unwrap();
        let body = serde_json::json!({ "token": token, "new": new_password(GOOD_PASSWORD, GOOD_PASSWORD, GOOD_PIN) })
            .to_string();
        let request = axum::http::Request::post(<app::ui::signed_in::SetPassword as leptos::server_fn::ServerFn>::PATH)
            .header("content-type", "application/json")
            .header("cookie", &manager.cookie)
            .body(axum::body::Body::from(body))
            .unwrap();
        assert!(app.request(request).await.0.is_success());
        assert_eq!(who(&app, &manager).await, None);
    })
}

/// How an admin ends every session of an account while its holder is signing in.
#[derive(Clone, Copy)]
enum Ending {
    /// A reset of the extension (`bulk::actions::reset`: a new session epoch in the users' update).
    Reset,
    /// A forced password reset that revokes the current password (`sessions::end_all`).
    Revoke,
}

/// The holder of 201 signs in over and over, on eight connections at once spread over two replicas,
/// while an admin resets them on one: every session it got, even one whose sign-in had read the
/// account before the reset and finished after it, is refused afterwards by either replica, and stays
/// refused once the extension has a new holder.
#[test]
fn sign_ins_racing_a_reset_leave_no_session_of_the_old_holding() {
    common::run(sign_ins_racing(Ending::Reset))
}

/// As above, with the current password revoked (Force Password Reset) instead: no session outlives it.
#[test]
fn sign_ins_racing_a_revoked_password_leave_no_session() {
    common::run(sign_ins_racing(Ending::Revoke))
}

async fn sign_ins_racing(ending: Ending) {
    let (app, fixture) = TestApp::with_fixture().await;
    let other = app.replica(Settings::default()).await;
    let replicas = [&app, &other];
    let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
    let leaver = app.user_id(&fixture.basic).await;
    let ended = std::sync::atomic::AtomicBool::new(false);
    let sessions = std::sync::Mutex::new(Vec::<Session>::new());
    let body =
        serde_qs::to_string(&app::ui::signed_in::Login { login: fixture.basic.clone(), password: PASSWORD.into() })
            .unwrap();
    let (ended, sessions, body) = (&ended, &sessions, &body);
    // The n-th loop signs in on replica n % 2.
    let sign_in_loop = |n: usize| async move {
        while !ended.load(std::sync::atomic::Ordering::SeqCst) {
            let request = axum::http::Request::post(<app::ui::signed_in::Login as leptos::server_fn::ServerFn>::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body.clone()))
                .unwrap();
            let (status, headers, _) = replicas[n % 2].request(request).await;
            if let (true, Some(cookie)) = (status.is_success(), headers.get("set-cookie")) {
                let cookie = cookie.to_str().unwrap();
                let session = Session { cookie: cookie.split(';').next().unwrap().into(), set_cookie: cookie.into() };
                sessions.lock().unwrap().push(session);
            }
        }
    };
    let end = async {
        // Once every loop is under way.
        while sessions.lock().unwrap().len() < 8 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        match ending {
            Ending::Reset => app.reset_users(&manager, vec![leaver]).await,
            Ending::Revoke => {
                let revoke = AccountAction::ForcePasswordReset { revoke: true };
                let job = account_action(&app, &manager, revoke, vec![leaver]).await.1;
                assert_eq!(job.counts.total, 1, "the holder of 201 is within the action's reach");
            }
        }
        ended.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    futures::join!(end, futures::future::join_all((0..8).map(sign_in_loop)));

    let sessions = std::mem::take(&mut *sessions.lock().unwrap());
    for (n, replica) in replicas.into_iter().enumerate() {
        let mut alive = 0;
        for session in &sessions {
            alive += usize::from(who(replica, session).await.is_some());
        }
        assert_eq!(alive, 0, "{alive} of {} sessions outlived the ending on replica {n}", sessions.len());
    }
    if let Ending::Reset = ending {
        app.recycle_user(&manager, leaver, "Nia", "New", "nia.new@a.example").await;
        for session in &sessions {
            for replica in replicas {
                assert_eq!(who(replica, session).await, None, "a session of the former holder works for the new one");
            }
        }
    }
}
