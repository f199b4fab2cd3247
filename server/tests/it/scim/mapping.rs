//! What each change from the identity provider does to the phone system: a SCIM User is one holding of
//! an extension.

use super::{error_of, extension, held, new_hire, scim, token};
use crate::common::{self, TestApp, PASSWORD};
use app::server::entities::{audit_log, device, outbox_message, user};
use app::shared::bulk::{JobProgress, ResetOption, ResetOptions, ResetRequest, Targets, When};
use app::shared::model::UserStatus;
use app::ui::components::bulk_action::reset_step::StartReset;
use app::ui::pages::provisioning::SaveDeprovisioning;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

const EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:switchboard:2.0:User";

fn deactivate() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "value": { "active": false } }],
    })
}

fn reactivate() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": true }],
    })
}

/// The id of the person whose userName is `user_name`.
async fn id_of(app: &TestApp, token: &str, user_name: &str) -> String {
    let (_, found) = scim(app, token, "GET", &super::named(user_name), None).await;
    found["Resources"][0]["id"].as_str().unwrap_or_else(|| panic!("{user_name} not found: {found}")).to_string()
}

#[test]
fn a_new_hire_gets_the_lowest_free_extension_then_a_new_one_with_a_welcome_email() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        // 203 and 202 reset: free, 202 the lowest.
        app.reset_users(&manager, vec![app.user_id("203@a.example").await, app.user_id("202@a.example").await]).await;
        let token = token(&app, "a.example").await;

        let (status, nina) =
            scim(&app, &token, "POST", "/Users", Some(new_hire("nina.park@a.example", "Nina", "Park"))).await;
        assert_eq!(status, StatusCode::CREATED, "{nina}");
        assert_eq!(nina["active"].as_bool(), Some(true));
        assert!(nina.get(EXTENSION).is_none(), "the extension held is returned on request: {nina}");
        assert_eq!(held(&app, &token, &nina["id"]).await.as_deref(), Some("202"));
        let holder = extension(&app, "a.example", "202").await;
        assert_eq!((holder.first_name.as_str(), holder.last_name.as_str()), ("Nina", "Park"));
        assert_eq!(
            (holder.email.as_deref(), holder.status),
            (Some("nina.park@a.example"), UserStatus::PasswordRequired)
        );
        let welcome = outbox_message::Entity::find()
            .filter(outbox_message::Column::UserId.eq(holder.id))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a welcome email for the new hire");
        assert_eq!(welcome.recipient, "nina.park@a.example");

        let (_, omar) =
            scim(&app, &token, "POST", "/Users", Some(new_hire("omar.diaz@a.example", "Omar", "Diaz"))).await;
        assert_eq!(held(&app, &token, &omar["id"]).await.as_deref(), Some("203"));
        // None free: a new extension after the highest (203).
        let (status, pia) =
            scim(&app, &token, "POST", "/Users", Some(new_hire("pia.lund@a.example", "Pia", "Lund"))).await;
        assert_eq!((status, held(&app, &token, &pia["id"]).await.as_deref()), (StatusCode::CREATED, Some("204")));
        // One named and free: that one.
        let mut named = new_hire("quinn.ray@a.example", "Quinn", "Ray");
        named[EXTENSION] = json!({ "extension": "350" });
        let (_, quinn) = scim(&app, &token, "POST", "/Users", Some(named)).await;
        assert_eq!(held(&app, &token, &quinn["id"]).await.as_deref(), Some("350"));
        // One named but held: the next free one (a new one here).
        let mut taken = new_hire("rosa.sol@a.example", "Rosa", "Sol");
        taken[EXTENSION] = json!({ "extension": "201" });
        let (_, rosa) = scim(&app, &token, "POST", "/Users", Some(taken)).await;
        assert_eq!(held(&app, &token, &rosa["id"]).await.as_deref(), Some("351"));
        assert_eq!(app.audit_actions(&["user_provisioned"]).await.len(), 5);
        let (_, again) = scim(&app, &token, "GET", &format!("/Users/{}", nina["id"].as_str().unwrap()), None).await;
        assert_eq!(again["userName"], "nina.park@a.example");
    })
}

#[test]
fn deactivating_resets_the_extension_with_the_domains_options_ends_sessions_and_keeps_the_person() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let ava = app.sign_in(&fixture.basic, PASSWORD).await;
        let ava_id = app.user_id(&fixture.basic).await;
        app.device(ava_id, 1).await;
        let token = token(&app, "a.example").await;
        let id = id_of(&app, &token, "ava.smith@a.example").await;

        let (status, answer) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(deactivate())).await;
        assert_eq!((status, answer["active"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
        let reset = extension(&app, "a.example", "201").await;
        assert_eq!(reset.status, UserStatus::SetupRequired);
        assert_eq!((reset.first_name.as_str(), reset.email.as_deref()), ("", None));
        assert_eq!(device::Entity::find().filter(device::Column::UserId.eq(ava_id)).count(&app.db).await.unwrap(), 0);
        let (page, _, _) = app.get("/me", Some(&ava)).await;
        assert_ne!(page, StatusCode::OK, "Ava's session outlived her deactivation");
        // Still found, inactive, by id and by filter; the extension is free.
        let (status, person) = scim(&app, &token, "GET", &format!("/Users/{id}"), None).await;
        assert_eq!(
            (status, person["active"].as_bool(), person["userName"].as_str()),
            (StatusCode::OK, Some(false), Some("ava.smith@a.example"))
        );
        assert_eq!(held(&app, &token, &person["id"]).await, None);
        assert_eq!(id_of(&app, &token, "AVA.smith@a.example").await, id);
        let entry = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("user_deprovisioned"))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the deactivation is audited");
        assert_eq!((entry.actor.as_str(), entry.target_user_id), ("Okta (API token)", Some(ava_id)));

        // With the name alone chosen, a deactivation leaves the phones.
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let options: ResetOptions = [ResetOption::Name].into_iter().collect();
        let (status, saved) =
            app.call::<_, ()>(SaveDeprovisioning { domain: "a.example".into(), options }, Some(&manager)).await;
        assert_eq!(status, StatusCode::OK, "{saved:?}");
        let liam_id = app.user_id("202@a.example").await;
        app.device(liam_id, 2).await;
        let liam = id_of(&app, &token, "liam.jones@a.example").await;
        scim(&app, &token, "PATCH", &format!("/Users/{liam}"), Some(deactivate())).await;
        let liam_now = extension(&app, "a.example", "202").await;
        assert_eq!((liam_now.status, liam_now.first_name.as_str()), (UserStatus::SetupRequired, ""));
        assert_eq!(liam_now.email.as_deref(), Some("liam.jones@a.example"));
        assert_eq!(device::Entity::find().filter(device::Column::UserId.eq(liam_id)).count(&app.db).await.unwrap(), 1);
    })
}

#[test]
fn reactivating_gives_the_old_extension_back_if_free_or_another_and_delete_answers_404_after() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        let id = id_of(&app, &token, "ava.smith@a.example").await;
        scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(deactivate())).await;
        let (status, back) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(reactivate())).await;
        assert_eq!((status, back["active"].as_bool()), (StatusCode::OK, Some(true)), "{back}");
        assert_eq!(held(&app, &token, &back["id"]).await.as_deref(), Some("201"));
        let holder = extension(&app, "a.example", "201").await;
        assert_eq!((holder.first_name.as_str(), holder.status), ("Ava", UserStatus::PasswordRequired));

        // Deactivated again, and 201 handed to someone else in the portal: another extension.
        scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(deactivate())).await;
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        app.recycle_user(&manager, holder.id, "Bea", "Nell", "").await;
        let (_, elsewhere) = scim(&app, &token, "PATCH", &format!("/Users/{id}"), Some(reactivate())).await;
        assert_eq!(held(&app, &token, &elsewhere["id"]).await.as_deref(), Some("204"));
        assert_eq!(extension(&app, "a.example", "201").await.first_name, "Bea");

        let (status, _) = scim(&app, &token, "DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(extension(&app, "a.example", "204").await.status, UserStatus::SetupRequired);
        let (status, gone) = scim(&app, &token, "GET", &format!("/Users/{id}"), None).await;
        assert_eq!((status, error_of(&gone).0), (StatusCode::NOT_FOUND, "404"));
        let (status, _) = scim(&app, &token, "DELETE", &format!("/Users/{id}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, found) =
            scim(&app, &token, "GET", "/Users?filter=userName%20eq%20%22ava.smith%40a.example%22", None).await;
        assert_eq!(found["totalResults"], 0);
    })
}

#[test]
fn resellers_super_users_and_people_in_a_running_job_are_out_of_reach_and_untouched() {
    common::run(async {
        let (app, fixture) = TestApp::with_fixture().await;
        let token = token(&app, "a.example").await;
        for (user_name, extension_number) in [("rita.seller@a.example", "150"), ("sue.per@a.example", "100")] {
            let id = id_of(&app, &token, user_name).await;
            for (method, body) in [("PATCH", Some(deactivate())), ("DELETE", None)] {
                let (status, answer) = scim(&app, &token, method, &format!("/Users/{id}"), body).await;
                assert_eq!((status, error_of(&answer).0), (StatusCode::FORBIDDEN, "403"), "{method} {user_name}");
            }
            assert_eq!(extension(&app, "a.example", extension_number).await.status, UserStatus::Active);
        }
        // Liam waits in a reset no worker has run yet.
        let manager = app.sign_in(&fixture.office_manager, PASSWORD).await;
        let liam_id = app.user_id("202@a.example").await;
        let request = ResetRequest {
            targets: Targets::Ticked(vec![liam_id]),
            options: ResetOptions::defaults(),
            recycle: false,
            when: When::Now,
        };
        let (status, _) =
            app.call::<_, JobProgress>(StartReset { domain: "a.example".into(), request }, Some(&manager)).await;
        assert_eq!(status, StatusCode::OK);
        let liam = id_of(&app, &token, "liam.jones@a.example").await;
        let (status, answer) = scim(&app, &token, "PATCH", &format!("/Users/{liam}"), Some(deactivate())).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(answer["detail"].as_str().unwrap().contains("bulk action that has not finished"), "{answer}");
        assert_eq!(extension(&app, "a.example", "202").await.status, UserStatus::Active);
    })
}

#[test]
fn a_user_name_is_held_once_even_by_a_burst_of_creates_on_two_replicas() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let other = app.replica(Default::default()).await;
        let token = token(&app, "a.example").await;
        let (status, answer) =
            scim(&app, &token, "POST", "/Users", Some(new_hire("Ava.Smith@a.example", "Ava", "Smith"))).await;
        assert_eq!((status, error_of(&answer)), (StatusCode::CONFLICT, ("409", Some("uniqueness"))));

        let attempts =
            (0..100).map(|n| {
                let (app, token) = (if n % 2 == 0 { &app } else { &other }, token.clone());
                async move {
                    scim(app, &token, "POST", "/Users", Some(new_hire("zed.burst@a.example", "Zed", "Burst"))).await.0
                }
            });
        let statuses = futures::future::join_all(attempts).await;
        let created = statuses.iter().filter(|status| **status == StatusCode::CREATED).count();
        let conflicts = statuses.iter().filter(|status| **status == StatusCode::CONFLICT).count();
        assert_eq!((created, conflicts), (1, 99), "{statuses:?}");
        let holders =
            user::Entity::find().filter(user::Column::Email.eq("zed.burst@a.example")).count(&app.db).await.unwrap();
        assert_eq!(holders, 1);
    })
}

#[test]
fn another_domains_token_sees_nothing_of_this_one_and_a_revoked_one_is_refused() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let own = token(&app, "a.example").await;
        let other = token(&app, "c.example").await;
        let id = id_of(&app, &own, "ava.smith@a.example").await;
        let (_, theirs) = scim(&app, &other, "GET", "/Users", None).await;
        let names: Vec<&str> =
            theirs["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
        assert!(names.iter().all(|name| name.ends_with("c.example")), "{names:?}");
        for (method, body) in [
            ("GET", None),
            ("PATCH", Some(deactivate())),
            ("PUT", Some(new_hire("x@c.example", "X", "Y"))),
            ("DELETE", None),
        ] {
            let (status, _) = scim(&app, &other, method, &format!("/Users/{id}"), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        }
        assert_eq!(extension(&app, "a.example", "201").await.status, UserStatus::Active);

        let domain = app::server::directory::domains::find(&app.db, "a.example").await.unwrap().unwrap();
        app::server::provisioning::tokens::revoke(
            &app.db,
            &domain,
            "Okta",
            app::server::provisioning::tokens::Maker::CommandLine,
        )
        .await
        .unwrap();
        let (status, answer) = scim(&app, &own, "GET", "/Users", None).await;
        assert_eq!((status, error_of(&answer).0), (StatusCode::UNAUTHORIZED, "401"));
        let revoked =
            audit_log::Entity::find().order_by_desc(audit_log::Column::Id).one(&app.db).await.unwrap().unwrap();
        assert_eq!(revoked.action, "api_token_revoked");
    })
}

#[test]
fn a_burst_of_deactivations_on_two_replicas_resets_the_extension_once() {
    common::run(async {
        let (app, _) = TestApp::with_fixture().await;
        let other = app.replica(Default::default()).await;
        let token = token(&app, "a.example").await;
        let id = id_of(&app, &token, "ava.smith@a.example").await;
        let before = extension(&app, "a.example", "201").await.holding;
        let path = format!("/Users/{id}");
        let attempts = (0..50).map(|n| {
            let (app, token, path) = (if n % 2 == 0 { &app } else { &other }, token.clone(), path.clone());
            async move { scim(app, &token, "PATCH", &path, Some(deactivate())).await }
        });
        for (status, answer) in futures::future::join_all(attempts).await {
            assert_eq!((status, answer["active"].as_bool()), (StatusCode::OK, Some(false)), "{answer}");
        }
        assert_eq!(app.audit_actions(&["user_deprovisioned"]).await.len(), 1);
        assert_eq!(extension(&app, "a.example", "201").await.holding, before + 1, "reset more than once");
    })
}
