//! The two references a reset is measured against: the floor (the same deletes and updates as
//! hand-written set-based SQL in one transaction, with the audit entry per user the product writes, but
//! no job bookkeeping) and the naive loop a portal
//! typically does (for each user: load it and its rows through the ORM, delete them one by one, update
//! the user, commit).

use app::server::audit;
use app::server::auth::authz::ManagedDomain;
use app::server::entities::{
    answering_rule, call_history, contact, device, queue_membership, user, voicemail_greeting, voicemail_message,
};
use app::shared::bulk::{ResetOption, ResetOptions};
use app::shared::model::{Scope, UserStatus};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, ModelTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

/// The table an option deletes rows of; `None` for the user's own fields.
fn table(option: ResetOption) -> Option<&'static str> {
    Some(match option {
        ResetOption::Devices => "devices",
        ResetOption::VoicemailMessages => "voicemail_messages",
        ResetOption::VoicemailGreetings => "voicemail_greetings",
        ResetOption::AnsweringRules => "answering_rules",
        ResetOption::Contacts => "contacts",
        ResetOption::CallHistory => "call_history",
        ResetOption::QueueMemberships => "queue_memberships",
        _ => return None,
    })
}

/// The floor: every subscriber of `managed`'s domain reset with one statement per table, in one
/// transaction, each with an audit entry in `managed`'s actor's name.
pub async fn floor(db: &DatabaseConnection, managed: &ManagedDomain, options: &ResetOptions) {
    let domain_id = managed.domain().id;
    let subscribers = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::DomainId.eq(domain_id))
        .and_where(user::Column::Scope.eq(Scope::BasicUser))
        .to_owned();
    // The same set as SQL text, for the statements below that are written as text.
    let users = db.get_database_backend().build(&subscribers).to_string();
    let txn = db.begin().await.expect("begin");
    let mut tables: Vec<&str> = options.iter().filter_map(table).collect();
    tables.extend(["sessions", "password_links"]);
    for table in tables {
        txn.execute_unprepared(&format!("DELETE FROM {table} WHERE user_id IN ({users})")).await.expect("delete");
    }
    let mut set = vec![
        "status = 'setup-required'".to_string(),
        "must_change_password = false".to_string(),
        "holding = holding + 1".to_string(),
        // Signed out everywhere, as the product's reset does.
        "session_epoch = session_epoch + 1".to_string(),
        "updated_at = CURRENT_TIMESTAMP".to_string(),
    ];
    for option in options.iter() {
        set.extend(
            match option {
                ResetOption::Name => vec!["first_name = ''", "last_name = ''"],
                ResetOption::EmailAddress => vec!["email = NULL"],
                ResetOption::Password => vec!["password_hash = NULL"],
                ResetOption::VoicemailPin => vec!["voicemail_pin_hash = NULL"],
                _ => vec![],
            }
            .into_iter()
            .map(str::to_string),
        );
    }
    let update = format!("UPDATE users SET {} WHERE id IN ({users})", set.join(", "));
    txn.execute_unprepared(&update).await.expect("update");
    txn.execute_unprepared(&format!(
        "UPDATE outbox_messages SET state = 'withdrawn' WHERE state IN ('queued', 'failed') AND user_id IN ({users})"
    ))
    .await
    .expect("withdraw");
    // The audit entry the product writes for each user, written as the product writes it (one
    // INSERT … SELECT), so that the two compare like with like.
    let actor = managed.actor();
    audit::Entry::new(actor.login.clone(), Some(actor.user_id), audit::Action::UserReset)
        .domain(domain_id)
        .detail(json!({ "job": 0 }))
        .record_for_each(&txn, subscribers)
        .await
        .expect("audit");
    txn.commit().await.expect("commit");
}

/// Loads the user's rows of `E` and deletes them one by one, as an ORM loop does.
async fn delete_each<E, A>(txn: &DatabaseTransaction, owner: E::Column, user_id: i32)
where
    E: EntityTrait<ActiveModel = A>,
    E::Model: ModelTrait<Entity = E> + IntoActiveModel<A>,
    A: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
{
    for row in E::find().filter(owner.eq(user_id)).all(txn).await.expect("load rows") {
        row.delete(txn).await.expect("delete a row");
    }
}

/// The naive loop over `user_ids`: one transaction per user.
pub async fn naive(db: &DatabaseConnection, user_ids: &[i32], options: &ResetOptions) {
    for &user_id in user_ids {
        let txn = db.begin().await.expect("begin");
        let found = user::Entity::find_by_id(user_id).one(&txn).await.expect("load the user").expect("the user");
        for option in options.iter() {
            match option {
                ResetOption::Devices => delete_each::<device::Entity, _>(&txn, device::Column::UserId, user_id).await,
                ResetOption::VoicemailMessages => {
                    delete_each::<voicemail_message::Entity, _>(&txn, voicemail_message::Column::UserId, user_id).await
                }
                ResetOption::VoicemailGreetings => {
                    delete_each::<voicemail_greeting::Entity, _>(&txn, voicemail_greeting::Column::UserId, user_id)
                        .await
                }
                ResetOption::AnsweringRules => {
                    delete_each::<answering_rule::Entity, _>(&txn, answering_rule::Column::UserId, user_id).await
                }
                ResetOption::Contacts => {
                    delete_each::<contact::Entity, _>(&txn, contact::Column::UserId, user_id).await
                }
                ResetOption::CallHistory => {
                    delete_each::<call_history::Entity, _>(&txn, call_history::Column::UserId, user_id).await
                }
                ResetOption::QueueMemberships => {
                    delete_each::<queue_membership::Entity, _>(&txn, queue_membership::Column::UserId, user_id).await
                }
                _ => {}
            }
        }
        let mut changed = found.clone().into_active_model();
        for option in options.iter() {
            match option {
                ResetOption::Name => {
                    changed.first_name = Set(String::new());
                    changed.last_name = Set(String::new());
                }
                ResetOption::EmailAddress => changed.email = Set(None),
                ResetOption::Password => changed.password_hash = Set(None),
                ResetOption::VoicemailPin => changed.voicemail_pin_hash = Set(None),
                _ => {}
            }
        }
        changed.status = Set(UserStatus::SetupRequired);
        changed.holding = Set(found.holding + 1);
        changed.update(&txn).await.expect("update the user");
        txn.commit().await.expect("commit");
    }
}
