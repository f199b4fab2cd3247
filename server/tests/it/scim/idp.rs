//! The requests Okta and Entra ID really send (`../shared/scim.md`), in the order they send them.

use super::{extension, held, scim, token};
use crate::common::{self, TestApp};
use app::shared::model::UserStatus;
use axum::http::StatusCode;
use serde_json::json;

#[test]
fn oktas_lookup_create_read_update_and_deactivation() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let lookup = "/Users?filter=userName%20eq%20%22ann.lee%40a.example%22&startIndex=1&count=100";
        let (status, none) = scim(&app, &token, "GET", lookup, None).await;
        assert_eq!(
            (status, none["totalResults"].as_u64(), none["startIndex"].as_u64()),
            (StatusCode::OK, Some(0), Some(1))
        );
        let create = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ann.lee@a.example",
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "primary": true, "value": "ann.lee@a.example", "type": "work" }],
            "displayName": "Ann Lee",
            "externalId": "00u1abcd",
            "password": "ignored-Secret-123",
            "active": true,
        });
        let (status, created) = scim(&app, &token, "POST", "/Users", Some(create.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let (status, duplicate) = scim(&app, &token, "POST", "/Users", Some(create)).await;
        assert_eq!((status, duplicate["status"].as_str()), (StatusCode::CONFLICT, Some("409")));
        // Its test plan: count=1 gives one user with name, emails[0].value and active.
        let (_, one) = scim(&app, &token, "GET", "/Users?count=1", None).await;
        let first = &one["Resources"][0];
        assert!(
            first["name"].is_object() && first["emails"][0]["value"].is_string() && first["active"].is_boolean(),
            "{first}"
        );

        let (_, mut read) = scim(&app, &token, "GET", &format!("/Users/{id}"), None).await;
        read["name"]["familyName"] = "Lee-Hart".into();
        let (status, updated) = scim(&app, &token, "PUT", &format!("/Users/{id}"), Some(read.clone())).await;
        assert_eq!((status, updated["name"]["familyName"].as_str()), (StatusCode::OK, Some("Lee-Hart")));
        let number = held(&app, &token, &updated["id"]).await.expect("an extension held");
        assert_eq!(extension(&app, "a.example", &number).await.last_name, "Lee-Hart");

        // Some Okta integrations deactivate by PUT.
        read["active"] = false.into();
        let (status, off) = scim(&app, &token, "PUT", &format!("/Users/{id}"), Some(read)).await;
        assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)));
        assert_eq!(extension(&app, "a.example", &number).await.status, UserStatus::SetupRequired);
        // Found again, in another letter case, deactivated.
        let (_, found) = scim(&app, &token, "GET", &lookup.replace("ann.lee", "ANN.LEE"), None).await;
        assert_eq!((found["totalResults"].as_u64(), found["Resources"][0]["active"].as_bool()), (Some(1), Some(false)));
        let (status, wrong) = scim(&app, "sbscim_wrong", "GET", "/Users", None).await;
        assert_eq!((status, wrong["status"].as_str()), (StatusCode::UNAUTHORIZED, Some("401")));
    })
}

#[test]
fn entras_test_connection_create_string_booleans_dotted_keys_and_hard_delete() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let probe = "/Users?filter=userName%20eq%20%225d2a7b1e-0000-4000-8000-000000000000%22";
        let (status, empty) = scim(&app, &token, "GET", probe, None).await;
        assert_eq!((status, empty["totalResults"].as_u64()), (StatusCode::OK, Some(0)));
        let create = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId": "8f0e7c52-aaaa-4bbb-8ccc-0123456789ab",
            "userName": "Ben.Ode@a.example",
            "active": true,
            "displayName": "Ben Ode",
            "emails": [{ "primary": true, "type": "work", "value": "Ben.Ode@a.example" }],
            "name": { "formatted": "Ben Ode", "familyName": "Ode", "givenName": "Ben" },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "employeeNumber": "42", "department": "Sales" },
        });
        let (status, created) = scim(&app, &token, "POST", "/Users", Some(create)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let by_email = "/Users?filter=emails%5Btype%20eq%20%22work%22%5D.value%20eq%20%22ben.ode%40a.example%22";
        let (_, found) = scim(&app, &token, "GET", by_email, None).await;
        assert_eq!(found["Resources"][0]["id"].as_str(), Some(id.as_str()));
        let by_external = "/Users?filter=externalId%20eq%20%228f0e7c52-aaaa-4bbb-8ccc-0123456789ab%22";
        assert_eq!(scim(&app, &token, "GET", by_external, None).await.1["totalResults"], 1);

        let update = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                { "op": "Replace", "path": "name.familyName", "value": "Odell" },
                { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Support" },
                { "op": "replace", "value": { "name.givenName": "Benjamin", "displayName": "Benjamin Odell" } },
                { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "benjamin.odell@a.example" },
            ],
        });
        let (status, patched) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(update)).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        assert_eq!(patched["name"]["givenName"], "Benjamin");
        assert_eq!(patched["emails"][0]["value"], "benjamin.odell@a.example");
        let number = held(&app, &token, &patched["id"]).await.expect("an extension held");
        let holder = extension(&app, "a.example", &number).await;
        assert_eq!((holder.first_name.as_str(), holder.last_name.as_str()), ("Benjamin", "Odell"));
        assert_eq!(holder.email.as_deref(), Some("benjamin.odell@a.example"));

        let disable = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "Replace", "path": "active", "value": "False" }],
        });
        let (status, off) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(disable)).await;
        assert_eq!((status, off["active"].as_bool()), (StatusCode::OK, Some(false)));
        assert_eq!(extension(&app, "a.example", &number).await.status, UserStatus::SetupRequired);
        let enable = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "value": { "active": true, "name.givenName": "Ben" } }],
        });
        let (_, on) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(enable)).await;
        assert_eq!((on["active"].as_bool(), on["name"]["givenName"].as_str()), (Some(true), Some("Ben")));
        let (status, _) = scim(&app, &token, "DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(scim(&app, &token, "GET", &format!("/Users/{id}"), None).await.0, StatusCode::NOT_FOUND);
    })
}
