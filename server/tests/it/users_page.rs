//! The Users page's query: search, status filter, order, pages and device counts, on a real database.

use crate::common;

use crate::common::{Session, TestApp, PASSWORD};
use app::server::entities::user;
use app::shared::error::AppError;
use app::shared::model::{Scope, SortDir, SortKey, UserPage, UserQuery, UserStatus};
use app::ui::pages::users::ListUsers;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

async fn page(app: &TestApp, session: &Session, query: UserQuery) -> UserPage {
    let (status, result) =
        app.call::<_, UserPage>(ListUsers { domain: "a.example".into(), query }, Some(session)).await;
    assert_eq!(status, StatusCode::OK);
    result.unwrap()
}

fn extensions(page: &UserPage) -> Vec<&str> {
    page.rows.iter().map(|row| row.extension.as_str()).collect()
}

async fn admin_of_a(app: &TestApp) -> Session {
    app.domain("a.example", "R1").await;
    app.user("a.example", "99", "Olga", "Manning", Scope::OfficeManager).await;
    app.sign_in("99@a.example", PASSWORD).await
}

#[test]
fn extensions_sort_as_numbers_both_ways() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        for extension in ["1000", "100", "205"] {
            app.user("a.example", extension, "Some", "One", Scope::BasicUser).await;
        }
        let ascending = page(&app, &session, UserQuery::default()).await;
        assert_eq!(extensions(&ascending), ["99", "100", "205", "1000"]);
        let descending = page(&app, &session, UserQuery { dir: SortDir::Desc, ..UserQuery::default() }).await;
        assert_eq!(extensions(&descending), ["1000", "205", "100", "99"]);
    })
}

#[test]
fn sorting_by_name_email_and_status() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        app.user("a.example", "201", "Zed", "Adams", Scope::BasicUser).await;
        app.user("a.example", "202", "Amy", "Young", Scope::BasicUser).await;
        let by_name = page(&app, &session, UserQuery { sort: SortKey::Name, ..UserQuery::default() }).await;
        assert_eq!(extensions(&by_name), ["201", "99", "202"]);
        let by_email =
            page(&app, &session, UserQuery { sort: SortKey::Email, dir: SortDir::Desc, ..UserQuery::default() }).await;
        assert_eq!(extensions(&by_email), ["201", "99", "202"], "zed.adams > olga.manning > amy.young");

        let mut reset: user::ActiveModel =
            user::Entity::find().filter(user::Column::Extension.eq("202")).one(&app.db).await.unwrap().unwrap().into();
        reset.status = Set(UserStatus::SetupRequired);
        reset.update(&app.db).await.unwrap();
        let by_status = page(&app, &session, UserQuery { sort: SortKey::Status, ..UserQuery::default() }).await;
        assert_eq!(extensions(&by_status), ["99", "201", "202"], "active sorts before setup-required");
    })
}

#[test]
fn search_matches_every_word_in_any_column_ignoring_case() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        app.user("a.example", "201", "Ava", "Smith", Scope::BasicUser).await;
        app.user("a.example", "202", "Ava", "Jones", Scope::BasicUser).await;
        app.user("a.example", "203", "Liam", "Smithson", Scope::BasicUser).await;
        let search = |text: &str| UserQuery { search: text.into(), ..UserQuery::default() };
        assert_eq!(extensions(&page(&app, &session, search("SMITH")).await), ["201", "203"]);
        assert_eq!(extensions(&page(&app, &session, search("ava smith")).await), ["201"]);
        assert_eq!(extensions(&page(&app, &session, search("liam.smithson@")).await), ["203"], "email");
        assert_eq!(extensions(&page(&app, &session, search("20")).await), ["201", "202", "203"], "extension");
        // Words shorter than three characters are looked up without the trigram index, longer ones with it.
        assert_eq!(extensions(&page(&app, &session, search("AV smith")).await), ["201"]);
        assert_eq!(extensions(&page(&app, &session, search("li smithson")).await), ["203"]);
        for syntax in ["\"smith", "smith\"", "smith OR jones", "smi*", "NEAR(ava smith)", "ava:smith"] {
            assert_eq!(page(&app, &session, search(syntax)).await.total, 0, "{syntax} is text, not a query");
        }
        let nothing = page(&app, &session, search("%")).await;
        assert_eq!((nothing.total, nothing.rows.len()), (0, 0), "% is a character, not a wildcard");
    })
}

/// The search reads a text the database keeps from the four fields (a generated column on PostgreSQL,
/// triggers on SQLite): it must follow every change, find no word across two fields, and stay in the
/// domain.
#[test]
fn the_search_follows_changes_to_names_and_emails_and_stays_in_the_domain() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        app.user("a.example", "201", "Ava", "Smith", Scope::BasicUser).await;
        app.domain("b.example", "R1").await;
        app.user("b.example", "201", "Ava", "Smith", Scope::BasicUser).await;
        let search = |text: &str| UserQuery { search: text.into(), ..UserQuery::default() };
        assert_eq!(extensions(&page(&app, &session, search("smith")).await), ["201"], "only a.example's");
        assert_eq!(page(&app, &session, search("avasmith")).await.total, 0, "no word across two fields");
        assert_eq!(page(&app, &session, search("201ava")).await.total, 0, "nor across the extension and a name");

        let id = app.user_id("201@a.example").await;
        let mut renamed: user::ActiveModel = user::Entity::find_by_id(id).one(&app.db).await.unwrap().unwrap().into();
        renamed.first_name = Set("Noor".into());
        renamed.last_name = Set("Haddad".into());
        renamed.email = Set(Some("noor.haddad@a.example".into()));
        renamed.update(&app.db).await.unwrap();
        assert_eq!(page(&app, &session, search("smith")).await.total, 0, "the old name is gone");
        assert_eq!(extensions(&page(&app, &session, search("HADDAD")).await), ["201"]);
        assert_eq!(extensions(&page(&app, &session, search("noor.haddad@")).await), ["201"]);

        // A reset blanks the name and the email: the user is found by extension only.
        app.reset_users(&session, vec![id]).await;
        assert_eq!(page(&app, &session, search("noor")).await.total, 0);
        assert_eq!(extensions(&page(&app, &session, search("201")).await), ["201"]);
    })
}

#[test]
fn the_status_filter_keeps_only_that_status() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        app.user_without_password("a.example", "300", "New", "Hire").await;
        let only = |status| UserQuery { status: Some(status), ..UserQuery::default() };
        assert_eq!(extensions(&page(&app, &session, only(UserStatus::PasswordRequired)).await), ["300"]);
        assert_eq!(extensions(&page(&app, &session, only(UserStatus::Active)).await), ["99"]);
        assert_eq!(page(&app, &session, only(UserStatus::SetupRequired)).await.total, 0);
    })
}

#[test]
fn pages_of_fifty_with_totals_and_a_page_past_the_end_gives_the_last() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        for n in 0..54 {
            app.user_without_password("a.example", &(300 + n).to_string(), "User", &format!("Number{n}")).await;
        }
        let first = page(&app, &session, UserQuery::default()).await;
        assert_eq!((first.total, first.page, first.pages, first.rows.len()), (55, 1, 2, 50));
        let second = page(&app, &session, UserQuery { page: 2, ..UserQuery::default() }).await;
        assert_eq!((second.page, second.rows.len()), (2, 5));
        assert_eq!(extensions(&second).last(), Some(&"353"));
        let beyond = page(&app, &session, UserQuery { page: 9, ..UserQuery::default() }).await;
        assert_eq!((beyond.page, beyond.rows.len()), (2, 5));
    })
}

#[test]
fn each_row_counts_its_own_devices() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        app.user("a.example", "201", "Ava", "Smith", Scope::BasicUser).await;
        let ava = app.user_id("201@a.example").await;
        for n in 0..3 {
            app.device(ava, n).await;
        }
        let rows = page(&app, &session, UserQuery::default()).await.rows;
        let counts: Vec<(&str, u64)> = rows.iter().map(|row| (row.extension.as_str(), row.device_count)).collect();
        assert_eq!(counts, [("99", 0), ("201", 3)]);
    })
}

#[test]
fn an_impossible_page_size_is_refused_at_its_field() {
    common::run(async {
        let app = TestApp::new().await;
        let session = admin_of_a(&app).await;
        let query = UserQuery { per_page: 10_000, ..UserQuery::default() };
        let (status, result) =
            app.call::<_, UserPage>(ListUsers { domain: "a.example".into(), query }, Some(&session)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(result.unwrap_err(), AppError::invalid("per_page", "Show between 1 and 200 users per page."));
    })
}
