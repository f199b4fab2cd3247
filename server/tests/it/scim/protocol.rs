//! The protocol as RFC 7644 has it: discovery, lists and their pages, filters, errors for bad input
//! that change nothing.

use super::{error_of, named, new_hire, scim, token};
use crate::common::{self, TestApp, PASSWORD};
use app::server::directory::users::{self, NewUser};
use app::server::entities::scim_user;
use app::shared::model::Scope;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

#[test]
fn discovery_says_what_is_supported_and_only_that() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let (status, config) = scim(&app, &token, "GET", "/ServiceProviderConfig", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(config["patch"]["supported"], true);
        assert_eq!(config["filter"]["supported"], true);
        assert_eq!(config["filter"]["maxResults"], 200);
        for unsupported in ["bulk", "sort", "etag", "changePassword"] {
            assert_eq!(config[unsupported]["supported"], false, "{unsupported}");
        }
        let (_, types) = scim(&app, &token, "GET", "/ResourceTypes", None).await;
        assert_eq!(types["Resources"][0]["endpoint"], "/Users");
        let (_, schemas) = scim(&app, &token, "GET", "/Schemas", None).await;
        let names: Vec<&str> = schemas["Resources"][0]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|attribute| attribute["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["userName", "name", "displayName", "emails", "active"]);
        let (_, extension) = scim(&app, &token, "GET", &format!("/Schemas/{}", super::PBX), None).await;
        assert_eq!(extension["attributes"][0]["mutability"], "readOnly");
        let (status, user_schema) =
            scim(&app, &token, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", None).await;
        assert_eq!((status, user_schema["name"].as_str()), (StatusCode::OK, Some("User")));
        let (status, body) = scim(&app, &token, "GET", "/Groups", None).await;
        assert_eq!((status, error_of(&body).0), (StatusCode::NOT_FOUND, "404"));
    })
}

#[test]
fn existing_holders_are_listed_in_a_stable_order_with_pages_and_a_total() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        // a.example's six holders: the Super User, the Reseller, the Office Manager and three Basic Users.
        let (status, all) = scim(&app, &token, "GET", "/Users", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((all["totalResults"].as_u64(), all["itemsPerPage"].as_u64()), (Some(6), Some(6)));
        let user_names: Vec<&str> =
            all["Resources"].as_array().unwrap().iter().map(|user| user["userName"].as_str().unwrap()).collect();
        assert!(user_names.contains(&"ava.smith@a.example"), "{user_names:?}");
        assert!(!user_names.iter().any(|name| name.ends_with("c.example")), "{user_names:?}");
        let (_, second) = scim(&app, &token, "GET", "/Users?startIndex=2&count=1", None).await;
        assert_eq!(second["Resources"][0]["id"], all["Resources"][1]["id"]);
        assert_eq!((second["startIndex"].as_u64(), second["itemsPerPage"].as_u64()), (Some(2), Some(1)));
        let (_, total_only) = scim(&app, &token, "GET", "/Users?count=0", None).await;
        assert_eq!(
            (total_only["totalResults"].as_u64(), total_only["Resources"].as_array().map(Vec::len)),
            (Some(6), Some(0))
        );
        let (status, capped) = scim(&app, &token, "GET", "/Users?count=1000000", None).await;
        assert_eq!((status, capped["itemsPerPage"].as_u64()), (StatusCode::OK, Some(6)));
        let (status, none) =
            scim(&app, &token, "GET", "/Users?filter=userName%20eq%20%22nobody%40a.example%22", None).await;
        assert_eq!((status, none["totalResults"].as_u64()), (StatusCode::OK, Some(0)));
        assert_eq!(none["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    })
}

#[test]
fn holders_made_after_the_first_lookup_are_found_by_the_next_and_listed_once() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let (_, all) = scim(&app, &token, "GET", "/Users", None).await;
        assert_eq!(all["totalResults"].as_u64(), Some(6));
        // One holder made by hand, and one extension handed to a new hire in the portal (a new holding of
        // an extension whose former holder the identity provider has seen).
        users::create(
            &app.db,
            NewUser {
                domain: "a.example".into(),
                extension: "160".into(),
                first_name: "Hand".into(),
                last_name: "Made".into(),
                email: Some("hand.made@a.example".into()),
                scope: Scope::BasicUser,
                password: None,
            },
        )
        .await
        .expect("make a user by hand");
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let recycled = app.user_id("202@a.example").await;
        app.reset_users(&manager, vec![recycled]).await;
        app.recycle_user(&manager, recycled, "Nia", "Newhire", "nia.newhire@a.example").await;

        for (user_name, extension) in [("hand.made@a.example", "160"), ("nia.newhire@a.example", "202")] {
            let (status, found) = scim(&app, &token, "GET", &named(user_name), None).await;
            assert_eq!((status, found["totalResults"].as_u64()), (StatusCode::OK, Some(1)), "{user_name}: {found}");
            assert_eq!(super::held(&app, &token, &found["Resources"][0]["id"]).await.as_deref(), Some(extension));
        }
        // The former holder of 202 stays, inactive; nobody has two rows, however often they are looked up.
        let (_, all) = scim(&app, &token, "GET", "/Users", None).await;
        assert_eq!(all["totalResults"].as_u64(), Some(8), "{all}");
        assert_eq!(scim_user::Entity::find().count(&app.db).await.unwrap(), 8);
    })
}

#[test]
fn filters_find_people_by_each_supported_attribute_without_case_where_the_rfc_says() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let (_, created) =
            scim(&app, &token, "POST", "/Users", Some(new_hire("Nina.Park@A.example", "Nina", "Park"))).await;
        let id = created["id"].as_str().unwrap().to_string();
        for filter in [
            r#"userName eq "nina.park@a.example""#.to_string(),
            r#"USERNAME Eq "NINA.PARK@A.EXAMPLE""#.to_string(),
            r#"externalId eq "ext-Nina.Park@A.example""#.to_string(),
            format!(r#"id eq "{id}""#),
            r#"emails.value eq "NINA.park@a.example""#.to_string(),
            r#"emails[type eq "work"].value eq "nina.park@a.example""#.to_string(),
            r#"emails[type eq "work" and value eq "nina.park@a.example"]"#.to_string(),
            r#"name.familyName eq "park" and active eq true"#.to_string(),
            r#"userName sw "nina" and (externalId pr or displayName co "Nina")"#.to_string(),
        ] {
            let path = format!("/Users?filter={}", urlencoding(&filter));
            let (status, found) = scim(&app, &token, "GET", &path, None).await;
            assert_eq!((status, found["totalResults"].as_u64()), (StatusCode::OK, Some(1)), "{filter}: {found}");
            assert_eq!(found["Resources"][0]["id"].as_str(), Some(id.as_str()), "{filter}");
        }
        let (_, inactive) =
            scim(&app, &token, "GET", &format!("/Users?filter={}", urlencoding("active eq false")), None).await;
        assert_eq!(inactive["totalResults"].as_u64(), Some(0));
    })
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[test]
fn bad_input_gets_the_rfcs_status_and_scim_type_and_changes_nothing() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        scim(&app, &token, "GET", "/Users", None).await;
        let people = || async { scim_user::Entity::find().count(&app.db).await.unwrap() };
        let before = people().await;
        let raw = |body: &str| {
            Request::post("/scim/v2/Users")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/scim+json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let (status, _, body) = app.request(raw("{\"userName\": ")).await;
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, error_of(&body)), (StatusCode::BAD_REQUEST, ("400", Some("invalidSyntax"))));

        let huge = format!("{{\"userName\": \"{}\"}}", "x".repeat(1024 * 1024 + 1));
        let (status, headers, body) = app.request(raw(&huge)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body:.200}");
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "application/scim+json");
        assert_eq!(error_of(&serde_json::from_str(&body).unwrap()).0, "413");

        for (body, detail) in [
            (json!({ "name": { "givenName": "Nina", "familyName": "Park" } }), "userName is required."),
            (json!({ "userName": ["nina"] }), "userName must be a string."),
            (
                json!({ "userName": "nina@a.example", "name": { "givenName": "Ni\u{202e}na", "familyName": "Park" } }),
                "name.givenName must not contain control characters or text-direction marks.",
            ),
            (
                json!({ "userName": "nina\u{7}@a.example", "name": { "givenName": "Nina", "familyName": "Park" } }),
                "userName must not contain control characters or text-direction marks.",
            ),
            (
                json!({ "userName": "nina@a.example", "name": { "givenName": "Nina", "familyName": "Park" }, "emails": [{ "value": "not an address" }] }),
                "email address",
            ),
        ] {
            let (status, answer) = scim(&app, &token, "POST", "/Users", Some(body.clone())).await;
            assert_eq!((status, error_of(&answer)), (StatusCode::BAD_REQUEST, ("400", Some("invalidValue"))), "{body}");
            assert!(answer["detail"].as_str().unwrap().contains(detail), "{answer}");
        }
        let (status, answer) = scim(&app, &token, "GET", "/Users?filter=userName%20eq", None).await;
        assert_eq!((status, error_of(&answer)), (StatusCode::BAD_REQUEST, ("400", Some("invalidFilter"))));
        let (status, answer) = scim(&app, &token, "GET", "/Users?count=lots", None).await;
        assert_eq!((status, error_of(&answer)), (StatusCode::BAD_REQUEST, ("400", Some("invalidValue"))));
        let (status, answer) = scim(&app, &token, "GET", "/Users/999999", None).await;
        assert_eq!((status, error_of(&answer)), (StatusCode::NOT_FOUND, ("404", None)));
        let (_, listed) = scim(&app, &token, "GET", "/Users?count=1", None).await;
        let id = listed["Resources"][0]["id"].as_str().unwrap().to_string();
        let (status, answer) =
            scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(json!({ "Operations": [] }))).await;
        assert_eq!((status, error_of(&answer).1), (StatusCode::BAD_REQUEST, Some("invalidSyntax")));
        assert_eq!(people().await, before, "a refused request made someone");
    })
}

#[test]
fn a_session_cookie_opens_no_scim_and_a_token_opens_no_page() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let session = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let request =
            Request::get("/scim/v2/Users").header(header::COOKIE, &session.cookie).body(Body::empty()).unwrap();
        let (status, headers, body) = app.request(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(headers.get(header::WWW_AUTHENTICATE).unwrap(), "Bearer");
        assert_eq!(error_of(&serde_json::from_str(&body).unwrap()), ("401", None));

        let page = |auth: Option<String>| {
            let mut request = Request::get("/domains/a.example/users").header(header::ACCEPT, "text/html");
            if let Some(auth) = auth {
                request = request.header(header::AUTHORIZATION, auth);
            }
            request.body(Body::empty()).unwrap()
        };
        let (with_token, _, _) = app.request(page(Some(format!("Bearer {token}")))).await;
        let (without, _, _) = app.request(page(None)).await;
        assert_eq!(with_token, without);
        assert_ne!(with_token, StatusCode::OK);
    })
}
