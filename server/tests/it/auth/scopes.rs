//! Every scope rule, enforced by the server on hand-made requests.

use crate::common;

use crate::common::{Session, TestApp, PASSWORD};
use app::shared::error::AppError;
use app::shared::model::{DomainSummary, UserPage, UserQuery};
use app::ui::pages::domains::ListDomains;
use app::ui::pages::users::ListUsers;
use axum::http::StatusCode;

async fn list(app: &TestApp, session: Option<&Session>, domain: &str) -> (StatusCode, Result<UserPage, AppError>) {
    app.call::<_, UserPage>(ListUsers { domain: domain.into(), query: UserQuery::default() }, session).await
}

async fn domain_names(app: &TestApp, session: &Session) -> (StatusCode, Result<Vec<String>, AppError>) {
    let (status, result) = app.call::<_, Vec<DomainSummary>>(ListDomains {}, Some(session)).await;
    (status, result.map(|domains| domains.into_iter().map(|domain| domain.name).collect()))
}

#[test]
fn an_office_manager_sees_their_own_domain_and_nothing_else() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let (status, page) = list(&app, Some(&session), "a.example").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page.unwrap().total, 6);
        for other in ["b.example", "c.example", "nowhere.example"] {
            let (status, result) = list(&app, Some(&session), other).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{other}");
            assert_eq!(
                result.unwrap_err(),
                AppError::Forbidden(format!("You do not have access to the domain {other}."))
            );
        }
        assert_eq!(domain_names(&app, &session).await.1.unwrap(), ["a.example"]);
    })
}

#[test]
fn a_reseller_sees_the_domains_of_their_reseller_only() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.reseller, PASSWORD).await;
        assert_eq!(list(&app, Some(&session), "b.example").await.0, StatusCode::OK);
        assert_eq!(list(&app, Some(&session), "c.example").await.0, StatusCode::FORBIDDEN);
        assert_eq!(domain_names(&app, &session).await.1.unwrap(), ["a.example", "b.example"]);
    })
}

#[test]
fn a_super_user_sees_every_domain_and_is_told_of_unknown_ones() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.super_user, PASSWORD).await;
        let (status, page) = list(&app, Some(&session), "c.example").await;
        assert_eq!((status, page.unwrap().total), (StatusCode::OK, 2));
        assert_eq!(domain_names(&app, &session).await.1.unwrap(), ["a.example", "b.example", "c.example"]);
        let (status, result) = list(&app, Some(&session), "nowhere.example").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(result.unwrap_err().to_string(), "There is no domain named nowhere.example.");
    })
}

#[test]
fn a_basic_user_may_not_list_users_or_domains_not_even_their_own() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.basic, PASSWORD).await;
        let (status, result) = list(&app, Some(&session), "a.example").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(result.unwrap_err().to_string(), "This page is for Office Managers and above.");
        assert_eq!(domain_names(&app, &session).await.0, StatusCode::FORBIDDEN);
    })
}

#[test]
fn another_domains_office_manager_is_refused_ours() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let session = app.sign_in(&fixture.other_office_manager, PASSWORD).await;
        assert_eq!(list(&app, Some(&session), "a.example").await.0, StatusCode::FORBIDDEN);
        assert_eq!(list(&app, Some(&session), "c.example").await.0, StatusCode::OK);
    })
}

#[test]
fn without_a_session_every_server_function_asks_to_sign_in() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let (status, result) = list(&app, None, "a.example").await;
        assert_eq!((status, result.unwrap_err()), (StatusCode::UNAUTHORIZED, AppError::NotSignedIn));
        let forged = Session { cookie: "switchboard_session=forged-token".into(), set_cookie: String::new() };
        assert_eq!(list(&app, Some(&forged), "a.example").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(domain_names(&app, &forged).await.0, StatusCode::UNAUTHORIZED);
    })
}
