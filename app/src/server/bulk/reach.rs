//! The users a bulk action names, checked against the rules before anything changes. A request that
//! breaks a rule is refused whole, with the rule it broke; nothing is done for the users it got right.

use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::bulk::schedule;
use crate::server::db::ids::AmongIds;
use crate::server::directory::users;
use crate::server::entities::{bulk_job, bulk_job_item, domain, user};
use crate::shared::bulk::{ItemState, JobState, PreviewUser, Schedule, SkippedUser, Targets, MAX_JOB_USERS};
use crate::shared::error::AppError;
use crate::shared::model::{full_name, Scope};
use crate::shared::words::{join_and, number};
use sea_orm::sea_query::Query;
use sea_orm::{prelude::*, Condition, QueryOrder};
use std::collections::{BTreeSet, HashMap};

/// What is being done to the users, for the messages: "reset", "recycle".
pub type Verb = &'static str;

/// The pure rules, over what the database said about the requested users:
/// - at least one user, at most `MAX_JOB_USERS`;
/// - every one of them a user of `domain` (which the caller has checked the actor may manage);
/// - not the actor themself, and nobody of a higher scope than the actor (`None`: the operator at the
///   server's command line, who has no account and the whole database anyway);
/// - nobody already in an unfinished job (`busy`).
pub fn check(
    actor: Option<&Actor>,
    domain: &domain::Model,
    requested: &BTreeSet<i32>,
    found: &[user::Model],
    busy: &[Busy],
    verb: Verb,
) -> Result<(), AppError> {
    if requested.is_empty() {
        return Err(AppError::invalid("users", "Select at least one user."));
    }
    if requested.len() > MAX_JOB_USERS {
        return Err(AppError::invalid(
            "users",
            format!(
                "At most {} users can be handled at once; {} were selected.",
                number(MAX_JOB_USERS as u64),
                number(requested.len() as u64)
            ),
        ));
    }
    let all_here = found.len() == requested.len() && found.iter().all(|user| user.domain_id == domain.id);
    if !all_here {
        return Err(AppError::Forbidden(format!(
            "Some of the selected users are not users of {}; nothing was changed.",
            domain.name
        )));
    }
    let Some(actor) = actor else { return free(busy) };
    if let Some(me) = found.iter().find(|user| user.id == actor.user_id) {
        return Err(AppError::Forbidden(format!("You cannot {verb} your own account ({}).", me.extension)));
    }
    if let Some(above) = found.iter().find(|user| user.scope > actor.scope) {
        return Err(AppError::Forbidden(format!(
            "You cannot {verb} {} ({}): a {} is above your scope.",
            above.extension,
            full_name(&above.first_name, &above.last_name),
            above.scope.label(),
        )));
    }
    free(busy)
}

/// Refuses `actor` the users of job `job` unless every one of them is theirs to act on: not the actor
/// themself, and nobody above their scope. Stopping a job, or starting a scheduled one at once, needs
/// the same reach as starting it would: an admin a job offboards cannot call it off, nor can an admin
/// below someone it offboards. `verb` says what was asked: "cancel", "run".
pub async fn require(
    db: &impl ConnectionTrait,
    actor: &Actor,
    job: &bulk_job::Model,
    verb: Verb,
) -> Result<(), AppError> {
    let of_job = sea_orm::sea_query::Query::select()
        .column(bulk_job_item::Column::UserId)
        .from(bulk_job_item::Entity)
        .and_where(bulk_job_item::Column::JobId.eq(job.id))
        .to_owned();
    let out_of_reach = user::Entity::find()
        .filter(user::Column::Id.in_subquery(of_job))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::Id.eq(actor.user_id))
                .add(user::Column::Scope.is_in(above(actor))),
        )
        // The actor's own account first: that is the reason to give.
        .order_by_desc(sea_orm::sea_query::Expr::col(user::Column::Id).eq(actor.user_id))
        .one(db)
        .await?;
    match out_of_reach {
        None => Ok(()),
        Some(user) if user.id == actor.user_id => Err(AppError::Forbidden(format!(
            "You cannot {verb} this bulk action: it includes your own account ({}).",
            user.extension
        ))),
        Some(user) => Err(AppError::Forbidden(format!(
            "You cannot {verb} this bulk action: it includes {} ({}), a {} above your scope.",
            user.extension,
            full_name(&user.first_name, &user.last_name),
            user.scope.label(),
        ))),
    }
}

/// A user in an unfinished job: their extension, and when that job is to start if it is scheduled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Busy {
    pub extension: String,
    pub scheduled: Option<Schedule>,
}

impl Busy {
    /// Why a filter (or a sheet) leaves the user out.
    pub fn reason(&self) -> String {
        match &self.scheduled {
            Some(schedule) => format!("In the reset scheduled for {}.", schedule.short_with_zone()),
            None => "Already in a bulk action that has not finished.".to_string(),
        }
    }
}

/// Refuses the users in an unfinished job, by extension, naming a scheduled job they wait in.
fn free(busy: &[Busy]) -> Result<(), AppError> {
    let Some(first) = busy.first() else { return Ok(()) };
    let waiting_for = first.scheduled.as_ref();
    let named: Vec<String> =
        busy.iter().filter(|user| user.scheduled.as_ref() == waiting_for).map(|user| user.extension.clone()).collect();
    let whom = match named.len() {
        1 => format!("Extension {} is", named[0]),
        _ => format!("Extensions {} are", join_and(named)),
    };
    Err(AppError::Conflict(match waiting_for {
        Some(schedule) => {
            format!("{whom} in the reset scheduled for {}; cancel it or run it now first.", schedule.short_with_zone())
        }
        None => format!("{whom} already in a bulk action that has not finished; wait for it to finish."),
    }))
}

/// Loads the users `requested` names and checks them (see `check`); they come back in extension order.
pub async fn load(
    db: &impl ConnectionTrait,
    managed: &ManagedDomain,
    requested: &[i32],
    verb: Verb,
) -> Result<Vec<user::Model>, AppError> {
    load_in(db, managed.domain(), Some(managed.actor()), requested, verb).await
}

/// `load` for `actor` in `domain` (`None`: the command line's operator; see `check`).
pub async fn load_in(
    db: &impl ConnectionTrait,
    domain: &domain::Model,
    actor: Option<&Actor>,
    requested: &[i32],
    verb: Verb,
) -> Result<Vec<user::Model>, AppError> {
    let requested: BTreeSet<i32> = requested.iter().copied().collect();
    if requested.is_empty() || requested.len() > MAX_JOB_USERS {
        // Refused before the database is asked about an empty or oversized list.
        return check(actor, domain, &requested, &[], &[], verb).map(|()| Vec::new());
    }
    let ids: Vec<i32> = requested.iter().copied().collect();
    let mut found = user::Entity::find()
        .filter(user::Column::Id.among(db.get_database_backend(), ids.iter().copied()))
        .all(db)
        .await?;
    found.sort_by(|a, b| (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension)));
    let busy = busy_in(db, domain.id, ids).await?;
    let busy: Vec<Busy> = found.iter().filter_map(|user| busy.get(&user.id).cloned()).collect();
    check(actor, domain, &requested, &found, &busy, verb)?;
    Ok(found)
}

/// The scopes above `actor`'s: nobody of these is theirs to act on.
fn above(actor: &Actor) -> Vec<Scope> {
    Scope::ALL.into_iter().filter(|scope| *scope > actor.scope).collect()
}

/// `check`'s rules but the last (nobody in an unfinished job), as a condition on the users table: users
/// of the managed domain, not the actor, nobody above the actor's scope. A job's items are made
/// through it, so that the database checks ticked users as it copies them (see `ticked`).
pub fn within_reach(managed: &ManagedDomain) -> Condition {
    let (actor, domain) = (managed.actor(), managed.domain());
    Condition::all()
        .add(user::Column::DomainId.eq(domain.id))
        .add(user::Column::Id.ne(actor.user_id))
        .add(user::Column::Scope.is_not_in(above(actor)))
}

/// The ids of the ticked users `requested`, without reading them: what is left of `check` once the
/// database checks `within_reach` as the job's items are made from them. Refused here (with
/// `refusal`) only an empty or oversized request, or one naming someone in an unfinished job.
pub async fn ticked(
    db: &impl ConnectionTrait,
    managed: &ManagedDomain,
    requested: &[i32],
    verb: Verb,
) -> Result<Vec<i32>, AppError> {
    let ids: BTreeSet<i32> = requested.iter().copied().collect();
    if ids.is_empty()
        || ids.len() > MAX_JOB_USERS
        || !busy_in(db, managed.domain().id, ids.iter().copied()).await?.is_empty()
    {
        return Err(refusal(db, managed, requested, verb).await);
    }
    Ok(ids.into_iter().collect())
}

/// Why the ticked users `requested` are refused: `load`'s refusal, which reads them to say who broke
/// which rule. (Should they all qualify when read, another request changed them meanwhile.)
pub async fn refusal(db: &impl ConnectionTrait, managed: &ManagedDomain, requested: &[i32], verb: Verb) -> AppError {
    match load(db, managed, requested, verb).await {
        Err(refused) => refused,
        Ok(_) => {
            AppError::Conflict("The selected users changed while they were being checked; please try again.".into())
        }
    }
}

/// The users a bulk action will act on, and those a filter matched but leaves out, each with why.
#[derive(Debug, Default)]
pub struct Chosen {
    pub users: Vec<user::Model>,
    pub excluded: Vec<SkippedUser>,
}

/// The users `targets` names, by today's data. Ticked users must all qualify (`load`). For a filter,
/// the users it matches now (more than `MAX_JOB_USERS` is refused with the number); the rules then
/// leave out, rather than refuse, the actor themself, anyone above their scope and anyone in an
/// unfinished job, each named with the reason.
pub async fn choose(
    db: &impl ConnectionTrait,
    managed: &ManagedDomain,
    targets: &Targets,
    verb: Verb,
) -> Result<Chosen, AppError> {
    let filter = match targets {
        Targets::Ticked(ids) => return Ok(Chosen { users: load(db, managed, ids, verb).await?, excluded: Vec::new() }),
        Targets::Matching(filter) => filter,
    };
    users::validate_filter(filter)?;
    let (actor, domain) = (managed.actor(), managed.domain());
    let backend = db.get_database_backend();
    let matching = || user::Entity::find().filter(users::matching(backend, domain, filter));
    let total = matching().count(db).await?;
    if total == 0 {
        return Err(AppError::invalid("users", "No users match the search any more."));
    }
    if total > MAX_JOB_USERS as u64 {
        return Err(AppError::invalid(
            "users",
            format!(
                "{} users match; at most {} can be handled at once. Narrow the search.",
                number(total),
                number(MAX_JOB_USERS as u64)
            ),
        ));
    }
    let found = users::in_extension_order(matching()).all(db).await?;
    let busy = busy_in(db, domain.id, found.iter().map(|user| user.id)).await?;
    let mut chosen = Chosen::default();
    for user in found {
        let reason = if user.id == actor.user_id {
            Some(format!("Your own account: you cannot {verb} it."))
        } else if user.scope > actor.scope {
            Some(format!("A {} is above your scope.", user.scope.label()))
        } else {
            busy.get(&user.id).map(Busy::reason)
        };
        match reason {
            Some(reason) => chosen.excluded.push(SkippedUser { user: preview_user(&user), reason }),
            None => chosen.users.push(user),
        }
    }
    Ok(chosen)
}

/// `busy` for users of `domain_id`, whose jobs are that domain's: when none of its jobs has a pending
/// item, nobody is looked up, which spares a 10,000-user start 10,000 lookups. (A user moved in from
/// another domain while in one of its jobs is not seen here; the database's unique index on pending
/// items still refuses them when the job is made.)
async fn busy_in(
    db: &impl ConnectionTrait,
    domain_id: i32,
    ids: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, Busy>, DbErr> {
    let jobs = Query::select()
        .column(bulk_job::Column::Id)
        .from(bulk_job::Entity)
        .and_where(bulk_job::Column::DomainId.eq(domain_id))
        .to_owned();
    let any_pending = bulk_job_item::Entity::find()
        .filter(bulk_job_item::Column::JobId.in_subquery(jobs))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .one(db)
        .await?;
    match any_pending {
        Some(_) => busy(db, ids).await,
        None => Ok(HashMap::new()),
    }
}

/// Those of the users `ids` who are in an unfinished job (running or scheduled), by user id.
pub async fn busy(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i32>) -> Result<HashMap<i32, Busy>, DbErr> {
    let items = bulk_job_item::Entity::find()
        .filter(bulk_job_item::Column::UserId.among(db.get_database_backend(), ids))
        .filter(bulk_job_item::Column::State.eq(ItemState::Pending))
        .all(db)
        .await?;
    let job_ids: BTreeSet<i32> = items.iter().map(|item| item.job_id).collect();
    let scheduled: HashMap<i32, Schedule> = bulk_job::Entity::find()
        .filter(bulk_job::Column::Id.among(db.get_database_backend(), job_ids))
        .filter(bulk_job::Column::State.eq(JobState::Scheduled))
        .all(db)
        .await?
        .iter()
        .filter_map(|job| Some((job.id, schedule::of(job)?)))
        .collect();
    Ok(items
        .into_iter()
        .filter_map(|item| {
            let busy = Busy { scheduled: scheduled.get(&item.job_id).cloned(), extension: item.extension };
            Some((item.user_id?, busy))
        })
        .collect())
}

/// The refusal when the rules left every user out: each named, with why.
pub fn none_left(left_out: &[SkippedUser]) -> AppError {
    let reasons: Vec<String> =
        left_out.iter().map(|left| format!("{}: {}", left.user.extension, left.reason)).collect();
    AppError::invalid("users", format!("None of the selected users can be handled. {}", reasons.join(" ")))
}

/// A user as the confirmation lists them.
pub fn preview_user(user: &user::Model) -> PreviewUser {
    PreviewUser {
        user_id: user.id,
        extension: user.extension.clone(),
        name: full_name(&user.first_name, &user.last_name),
        email: user.email.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::model::UserStatus;

    fn user(id: i32, domain_id: i32, scope: Scope) -> user::Model {
        let now = chrono::Utc::now();
        user::Model {
            id,
            domain_id,
            extension: format!("{}", 200 + id),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            email: None,
            login: format!("{}@d{domain_id}.example", 200 + id),
            password_hash: None,
            voicemail_pin_hash: None,
            scope,
            status: UserStatus::Active,
            must_change_password: false,
            holding: 1,
            session_epoch: 0,
            created_at: now,
            updated_at: now,
        }
    }

    fn manager() -> Actor {
        Actor {
            user_id: 1,
            login: "201@d1.example".into(),
            scope: Scope::OfficeManager,
            domain_id: 1,
            reseller_id: 1,
            holding: 1,
            must_change_password: false,
        }
    }

    fn ids(ids: &[i32]) -> BTreeSet<i32> {
        ids.iter().copied().collect()
    }

    fn checked(requested: &[i32], found: &[user::Model], busy: &[&str]) -> Result<(), AppError> {
        let busy: Vec<Busy> = busy.iter().map(|&ext| Busy { extension: ext.into(), scheduled: None }).collect();
        check(Some(&manager()), &domain::Model::example(1, 1), &ids(requested), found, &busy, "reset")
    }

    #[test]
    fn users_of_the_domain_below_or_at_the_actors_scope_may_be_reset() {
        let found = [user(2, 1, Scope::BasicUser), user(3, 1, Scope::OfficeManager)];
        assert_eq!(checked(&[2, 3], &found, &[]), Ok(()));
    }

    #[test]
    fn an_empty_selection_is_refused() {
        assert_eq!(checked(&[], &[], &[]), Err(AppError::invalid("users", "Select at least one user.")));
    }

    #[test]
    fn more_than_the_limit_is_refused() {
        let requested: Vec<i32> = (1..=MAX_JOB_USERS as i32 + 1).collect();
        assert!(matches!(checked(&requested, &[], &[]), Err(error) if error.is_at("users")));
    }

    #[test]
    fn a_user_of_another_domain_refuses_the_whole_request() {
        let found = [user(2, 1, Scope::BasicUser), user(9, 2, Scope::BasicUser)];
        assert!(matches!(checked(&[2, 9], &found, &[]), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn an_unknown_user_refuses_the_whole_request() {
        let found = [user(2, 1, Scope::BasicUser)];
        assert!(matches!(checked(&[2, 404], &found, &[]), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn nobody_resets_their_own_account_or_a_user_of_a_higher_scope() {
        let cases = [
            (
                [1, 2],
                [user(1, 1, Scope::OfficeManager), user(2, 1, Scope::BasicUser)],
                "You cannot reset your own account (201).",
            ),
            (
                [2, 3],
                [user(2, 1, Scope::BasicUser), user(3, 1, Scope::SuperUser)],
                "You cannot reset 203 (Ann Lee): a Super User is above your scope.",
            ),
        ];
        for (requested, found, message) in cases {
            assert_eq!(checked(&requested, &found, &[]), Err(AppError::Forbidden(message.into())));
        }
    }

    #[test]
    fn a_user_in_an_unfinished_job_is_named() {
        let found = [user(2, 1, Scope::BasicUser), user(3, 1, Scope::BasicUser)];
        let err = checked(&[2, 3], &found, &["203"]).unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(message) if message.starts_with("Extension 203 is already")),
            "{err}"
        );
    }
}
