//! Whole pages rendered by the server: what a browser gets before any script runs.

use crate::common;

use crate::common::{TestApp, PASSWORD};
use axum::http::StatusCode;

#[test]
fn the_login_page_has_its_labelled_fields() {
    common::run(async {
        let app = TestApp::new().await;
        let (status, _, html) = app.get("/login", None).await;
        assert_eq!(status, StatusCode::OK);
        for needle in [r#"<label for="login">Login</label>"#, r#"<label for="password">Password</label>"#, "Log In"] {
            assert!(html.contains(needle), "missing {needle} in {html}");
        }
    })
}

#[test]
fn pages_behind_sign_in_redirect_a_visitor_to_the_login_page() {
    common::run(async {
        let app = TestApp::new().await;
        for path in ["/", "/domains", "/domains/a.example/users", "/me"] {
            let (status, headers, _) = app.get(path, None).await;
            assert_eq!(status, StatusCode::FOUND, "{path}");
            assert_eq!(headers.get("location").unwrap(), "/login", "{path}");
        }
    })
}

#[test]
fn the_login_page_sends_the_signed_in_on_to_their_start_page() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.basic, PASSWORD).await;
        let (status, headers, _) = app.get("/login", Some(&session)).await;
        assert_eq!((status, headers.get("location").unwrap().to_str().unwrap()), (StatusCode::FOUND, "/"));
    })
}

#[test]
fn the_start_page_sends_each_scope_to_its_own_place() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        for (login, home) in [
            (&fixture.basic, "/me"),
            (&fixture.office_manager, "/domains/a.example/users"),
            (&fixture.reseller, "/domains"),
            (&fixture.super_user, "/domains"),
        ] {
            let session = app.sign_in(login, PASSWORD).await;
            let (status, headers, _) = app.get("/", Some(&session)).await;
            assert_eq!(status, StatusCode::FOUND, "{login}");
            assert_eq!(headers.get("location").unwrap(), home, "{login}");
        }
    })
}

#[test]
fn the_users_page_arrives_rendered_with_its_rows_and_controls() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let (status, _, html) = app.get("/domains/a.example/users?sort=name", Some(&session)).await;
        assert_eq!(status, StatusCode::OK);
        for needle in [
            r#"aria-label="Select 201 Ava Smith""#,
            r#"aria-label="Select all on this page""#,
            r#"aria-label="Search users""#,
            "Bulk Action",
            "Page 1 of 1 · 6 users",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
    })
}

#[test]
fn an_unknown_address_is_a_404_page() {
    common::run(async {
        let app = TestApp::new().await;
        let (status, _, html) = app.get("/no/such/page", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Page not found"));
    })
}

#[test]
fn a_page_outside_the_users_scope_is_a_plain_refusal_with_the_way_to_my_account() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let basic = app.sign_in(&fixture.basic, PASSWORD).await;
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        for (session, path, message) in [
            (&basic, "/domains/a.example/users", "This page is for Office Managers and above."),
            (&basic, "/activity", "This page is for Office Managers and above."),
            (&basic, "/outbox", "This page is for Office Managers and above."),
            (&basic, "/domains", "This page is for Office Managers and above."),
            (&other, "/domains/a.example/users", "You do not have access to the domain a.example."),
            (&other, "/domains/a.example/provisioning", "You do not have access to the domain a.example."),
        ] {
            let (status, _, html) = app.get(path, Some(session)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
            for needle in ["<h1>Not Allowed</h1>", message, r#"<a href="/me""#, "My Account"] {
                assert!(html.contains(needle), "{path}: missing {needle}");
            }
            // Not the page's controls in a disabled state: none of them at all.
            for control in ["Search users", "Bulk Action", "<select", "<table", "Create Token"] {
                assert!(!html.contains(control), "{path}: {control} is shown");
            }
        }
    })
}

/// Each page names itself in the tab, with its domain where it has one; "Switchboard" follows. The
/// pages whose title is read from their data are asked for in a burst: on the server their title is
/// read once, while the page's render pass is alive (`components::title`), never after it was disposed.
#[test]
fn each_page_arrives_with_its_title() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let other = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        let (status, _, html) = app.get("/login", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<title>Log In · Switchboard</title>"), "{html}");
        let pages = [
            (&manager, "/domains/a.example/users", StatusCode::OK, "Users of a.example · Switchboard"),
            (&manager, "/domains/a.example/provisioning", StatusCode::OK, "Provisioning · a.example · Switchboard"),
            (&manager, "/activity", StatusCode::OK, "Activity · Switchboard"),
            (&manager, "/me", StatusCode::OK, "My Account · Switchboard"),
            (&other, "/domains/a.example/provisioning", StatusCode::FORBIDDEN, "Not Allowed · Switchboard"),
            (&other, "/domains/a.example/users", StatusCode::FORBIDDEN, "Not Allowed · Switchboard"),
        ];
        let answers = futures::future::join_all(
            (0..25).flat_map(|_| pages.iter()).map(|&(session, path, ..)| app.get(path, Some(session))),
        )
        .await;
        for ((_, path, want_status, title), (status, _, html)) in (0..25).flat_map(|_| pages.iter()).zip(answers) {
            assert_eq!(status, *want_status, "{path}");
            assert!(
                html.contains(&format!("<title>{title}</title>")),
                "{path}: no title {title} in {:?}",
                html.split("<title>").nth(1).map(|t| &t[..t.find("</title>").unwrap_or(0)])
            );
        }
    })
}
