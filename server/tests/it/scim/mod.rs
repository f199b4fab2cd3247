//! The SCIM service for identity providers, through the real router on a real database: the protocol
//! (discovery, lists, filters, PATCH, errors), what each change does to the phone system, the tokens,
//! and the requests Okta and Entra ID really send (`../shared/scim.md`).

mod idp;
mod mapping;
mod protocol;
mod tokens;

use crate::common::TestApp;
use app::server::provisioning::tokens::{create, Maker};
use app::server::{directory::domains, entities::user};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

pub const BASE: &str = "/scim/v2";

/// A new API token of `domain`, made at the command line.
pub async fn token(app: &TestApp, domain: &str) -> String {
    let domain = domains::find(&app.db, domain).await.expect("read domains").expect("the domain exists");
    create(&app.db, &domain, "Okta", Maker::CommandLine).await.expect("make a token")
}

/// An identity provider's request: `method path` with `token`, and a JSON body if any.
pub async fn scim(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(format!("{BASE}{path}"));
    request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/scim+json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let (status, headers, text) = app.request(request.body(body).expect("a request")).await;
    if status != StatusCode::NO_CONTENT {
        assert_eq!(
            headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()),
            Some("application/scim+json"),
            "{method} {path}: {status} {text}"
        );
    }
    let json = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("a JSON answer") };
    (status, json)
}

/// The lookup of the people whose `userName` is `user_name`, as Okta sends it.
pub fn named(user_name: &str) -> String {
    format!("/Users?filter=userName%20eq%20%22{}%22", user_name.replace('@', "%40"))
}

/// The user of `domain` at `extension`.
pub async fn extension(app: &TestApp, domain: &str, extension: &str) -> user::Model {
    let domain = domains::find(&app.db, domain).await.expect("read domains").expect("the domain exists");
    user::Entity::find()
        .filter(user::Column::DomainId.eq(domain.id))
        .filter(user::Column::Extension.eq(extension))
        .one(&app.db)
        .await
        .expect("read users")
        .unwrap_or_else(|| panic!("no extension {extension}"))
}

pub const PBX: &str = "urn:ietf:params:scim:schemas:extension:switchboard:2.0:User";

/// The extension the person `id` holds, as the service says when asked (it is returned on request).
pub async fn held(app: &TestApp, token: &str, id: &Value) -> Option<String> {
    let id = id.as_str().expect("an id");
    let (status, person) =
        scim(app, token, "GET", &format!("/Users/{id}?attributes={PBX}:extension,active"), None).await;
    assert_eq!(status, StatusCode::OK, "{person}");
    person[PBX]["extension"].as_str().map(str::to_string)
}

/// A new hire as Okta creates one.
pub fn new_hire(user_name: &str, given: &str, family: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": { "givenName": given, "familyName": family },
        "emails": [{ "primary": true, "value": user_name, "type": "work" }],
        "displayName": format!("{given} {family}"),
        "externalId": format!("ext-{user_name}"),
        "active": true,
    })
}

/// A SCIM Error body's status and scimType.
pub fn error_of(body: &Value) -> (&str, Option<&str>) {
    assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
    (body["status"].as_str().expect("status is a string"), body["scimType"].as_str())
}
