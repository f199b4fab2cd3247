//! `switchboard demo seed`: a reseller, the domain demo.example with N subscribers who each have
//! realistic phones, voicemail, greetings, answering rules, contacts, call history and queue
//! memberships, plus a Super User and an Office Manager whose random passwords are shown once.
//! Everything is written in one transaction: a failed seed leaves nothing behind.

use crate::server::audit::{self, Action};
use crate::server::auth::authz::{Actor, ManagedDomain};
use crate::server::directory::users::{self, NewUser};
use crate::server::entities::{
    answering_rule, call_history, call_queue, contact, device, domain, phone_number, queue_membership, user,
    voicemail_greeting, voicemail_message,
};
use crate::server::{auth::passwords, db, directory::domains};
use crate::shared::error::AppError;
use crate::shared::model::Scope;
use chrono::{Duration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    prelude::*, ActiveValue::Set, DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait, TransactionTrait,
};

pub const DEMO_DOMAIN: &str = "demo.example";
pub const DEMO_RESELLER: &str = "Demo Reseller";
pub const DEFAULT_USERS: u32 = 50;
pub const MAX_USERS: u32 = 20_000;
/// Subscribers get extensions from here on; the admins sit below.
const FIRST_EXTENSION: u32 = 201;
/// Users whose data is gathered and written together.
const DATA_CHUNK_USERS: usize = 250;

const FIRST_NAMES: [&str; 40] = [
    "Ava", "Liam", "Noah", "Emma", "Olivia", "Mason", "Sophia", "Lucas", "Mia", "Ethan", "Amelia", "Logan", "Harper",
    "Elijah", "Evelyn", "James", "Abigail", "Benjamin", "Emily", "Jacob", "Ella", "Michael", "Grace", "Daniel",
    "Chloe", "Henry", "Zoe", "Jackson", "Lily", "Samuel", "Nora", "Owen", "Hannah", "Levi", "Aria", "Isaac", "Layla",
    "Caleb", "Riley", "Julian",
];
const LAST_NAMES: [&str; 40] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
];
const PHONE_MODELS: [&str; 5] = ["Yealink T54W", "Poly VVX 450", "Cisco 8851", "Grandstream GRP2614", "Yealink W76P"];
const QUEUES: [(&str, &str); 2] = [("Sales", "8001"), ("Support", "8002")];

/// The two admin logins the seed created, with passwords shown only this once.
#[derive(Clone, Debug)]
pub struct DemoLogins {
    pub super_user: (String, String),
    pub office_manager: (String, String),
    pub subscribers: u32,
}

pub enum Outcome {
    Seeded(DemoLogins),
    /// `--if-empty` and the database already has users: nothing was changed.
    AlreadyHasUsers,
}

/// Seeds the demo. With `only_if_empty`, does nothing when any user exists (so `make run` can call it
/// every time); without it, refuses when demo.example exists. `progress` hears how many subscribers
/// are ready.
pub async fn seed(
    db: &DatabaseConnection,
    subscribers: u32,
    only_if_empty: bool,
    progress: impl Fn(u32),
) -> Result<Outcome, AppError> {
    if !(1..=MAX_USERS).contains(&subscribers) {
        return Err(AppError::invalid("users", format!("--users must be between 1 and {MAX_USERS}.")));
    }
    if only_if_empty && user::Entity::find().count(db).await? > 0 {
        return Ok(Outcome::AlreadyHasUsers);
    }
    let txn = db.begin().await?;
    let domain = domains::create(&txn, DEMO_DOMAIN, DEMO_RESELLER, "Demo company").await?;
    let mut active = domain.clone().into_active_model();
    active.portal_security = Set(true);
    active.voicemail_to_email = Set(true);
    let domain = active.update(&txn).await?;

    let super_user = admin(&txn, "100", "Morgan", "Reyes", Scope::SuperUser).await?;
    let office_manager = admin(&txn, "200", "Olivia", "Bennett", Scope::OfficeManager).await?;
    seed_subscribers(&txn, domain.id, subscribers, progress).await?;
    audit::Entry::cli(Action::DemoSeeded)
        .domain(domain.id)
        .detail(serde_json::json!({ "subscribers": subscribers }))
        .record(&txn)
        .await?;
    txn.commit().await?;
    // The planner's statistics, which a fresh bulk of rows leaves stale (SQLite never gathers them on its
    // own; PostgreSQL's autovacuum does, but only later): without them the Users page may sort a whole
    // large domain instead of reading it in order from an index. PostgreSQL's vacuum of the users also
    // lets the page's ids be read from the index alone.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("VACUUM users").await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(Outcome::Seeded(DemoLogins { super_user, office_manager, subscribers }))
}

/// The demo's Super User managing the demo domain: the actor of work that a benchmark or a test starts.
pub async fn super_user(db: &DatabaseConnection) -> Result<ManagedDomain, AppError> {
    let found = user::Entity::find()
        .filter(user::Column::Login.eq(format!("100@{DEMO_DOMAIN}")))
        .find_also_related(domain::Entity)
        .one(db)
        .await?;
    match found {
        Some((user, Some(domain))) => Actor::of(&user, &domain).manage(DEMO_DOMAIN, Some(domain)),
        _ => Err(AppError::NotFound("The demo has not been seeded.".into())),
    }
}

/// The ids of the demo domain's subscribers: everyone but its admins.
pub async fn subscribers(db: &DatabaseConnection, domain: &domain::Model) -> Result<Vec<i32>, DbErr> {
    let users = user::Entity::find()
        .filter(user::Column::DomainId.eq(domain.id))
        .filter(user::Column::Scope.eq(Scope::BasicUser))
        .all(db)
        .await?;
    Ok(users.into_iter().map(|user| user.id).collect())
}

async fn admin(
    txn: &DatabaseTransaction,
    extension: &str,
    first: &str,
    last: &str,
    scope: Scope,
) -> Result<(String, String), AppError> {
    let password = passwords::random_password();
    let created = users::create(
        txn,
        NewUser {
            domain: DEMO_DOMAIN.into(),
            extension: extension.into(),
            first_name: first.into(),
            last_name: last.into(),
            email: Some(format!("{}.{}@{DEMO_DOMAIN}", first.to_lowercase(), last.to_lowercase())),
            scope,
            password: Some(password.clone()),
        },
    )
    .await?;
    Ok((created.login, password))
}

fn name_of(index: u32) -> (&'static str, &'static str) {
    // Unique first/last pairs for the first 1,600 users: the pair (i mod 40, (i/40 + i) mod 40)
    // determines i.
    let first = FIRST_NAMES[(index % 40) as usize];
    let last = LAST_NAMES[((index / 40 + index) % 40) as usize];
    (first, last)
}

async fn seed_subscribers(
    txn: &DatabaseTransaction,
    domain_id: i32,
    count: u32,
    progress: impl Fn(u32),
) -> Result<(), AppError> {
    let mut rng = StdRng::from_entropy();
    let now = Utc::now();
    // Everyone has a password and a PIN that nobody knows: the demo is about resetting them. One
    // secret, hashed once, serves them all: Argon2 for each of thousands of users would take minutes.
    let password_hash = passwords::hash(passwords::random_password()).await?;
    let pin_hash = passwords::hash(passwords::random_password()).await?;
    let mut new_users = Vec::with_capacity(count as usize);
    for index in 0..count {
        let extension = (FIRST_EXTENSION + index).to_string();
        let (first, last) = name_of(index);
        let suffix = if index < 1600 { String::new() } else { format!(".{extension}") };
        new_users.push(user::ActiveModel {
            domain_id: Set(domain_id),
            login: Set(format!("{extension}@{DEMO_DOMAIN}")),
            extension: Set(extension),
            first_name: Set(first.into()),
            last_name: Set(last.into()),
            email: Set(Some(format!("{}.{}{suffix}@{DEMO_DOMAIN}", first.to_lowercase(), last.to_lowercase()))),
            password_hash: Set(Some(password_hash.clone())),
            voicemail_pin_hash: Set(Some(pin_hash.clone())),
            scope: Set(Scope::BasicUser),
            status: Set(crate::shared::model::UserStatus::Active),
            must_change_password: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    db::insert_chunked(txn, new_users).await?;
    let ids: Vec<(i32, String)> = user::Entity::find()
        .filter(user::Column::DomainId.eq(domain_id))
        .filter(user::Column::Scope.eq(Scope::BasicUser))
        .all(txn)
        .await?
        .into_iter()
        .map(|user| (user.id, user.extension))
        .collect();

    let mut queue_ids = Vec::new();
    for (name, extension) in QUEUES {
        let queue = call_queue::ActiveModel {
            domain_id: Set(domain_id),
            name: Set(name.into()),
            extension: Set(extension.into()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        queue_ids.push(queue.id);
    }

    // A user's data is about 90 rows: written a few hundred users at a time, so that memory stays flat
    // however many users there are, and the progress moves as it goes.
    let mut position = 0;
    for chunk in ids.chunks(DATA_CHUNK_USERS) {
        let mut data = SubscriberData::default();
        for (user_id, extension) in chunk {
            data.add(&mut rng, *user_id, extension, position, &queue_ids, domain_id);
            position += 1;
        }
        data.insert(txn).await?;
        progress(u32::try_from(position).unwrap_or(u32::MAX));
    }
    Ok(())
}

/// The rows of every per-user table, gathered so that each table gets a few large inserts.
#[derive(Default)]
struct SubscriberData {
    devices: Vec<device::ActiveModel>,
    messages: Vec<voicemail_message::ActiveModel>,
    greetings: Vec<voicemail_greeting::ActiveModel>,
    rules: Vec<answering_rule::ActiveModel>,
    contacts: Vec<contact::ActiveModel>,
    calls: Vec<call_history::ActiveModel>,
    memberships: Vec<queue_membership::ActiveModel>,
    numbers: Vec<phone_number::ActiveModel>,
}

impl SubscriberData {
    fn add(
        &mut self,
        rng: &mut StdRng,
        user_id: i32,
        extension: &str,
        position: usize,
        queues: &[i32],
        domain_id: i32,
    ) {
        let now = Utc::now();
        let phone = |rng: &mut StdRng| format!("+1555{:07}", rng.gen_range(0..10_000_000));
        for n in 0..rng.gen_range(1..=3) {
            let mac: Vec<String> = (0..6).map(|_| format!("{:02X}", rng.gen::<u8>())).collect();
            self.devices.push(device::ActiveModel {
                user_id: Set(user_id),
                mac: Set(mac.join(":")),
                model: Set(PHONE_MODELS[rng.gen_range(0..PHONE_MODELS.len())].into()),
                sip_username: Set(format!("{extension}{}", (b'a' + n) as char)),
                sip_password: Set(passwords::random_password()),
                created_at: Set(now - Duration::days(rng.gen_range(30..900))),
                ..Default::default()
            });
        }
        for _ in 0..rng.gen_range(10..=30) {
            let folder = ["new", "new", "saved", "trash"][rng.gen_range(0..4)];
            self.messages.push(voicemail_message::ActiveModel {
                user_id: Set(user_id),
                folder: Set(folder.into()),
                caller_id: Set(phone(rng)),
                duration_secs: Set(rng.gen_range(4..180)),
                received_at: Set(now - Duration::minutes(rng.gen_range(10..60 * 24 * 60))),
                ..Default::default()
            });
        }
        for (n, name) in ["Unavailable", "Busy"].into_iter().enumerate() {
            self.greetings.push(voicemail_greeting::ActiveModel {
                user_id: Set(user_id),
                name: Set(name.into()),
                duration_secs: Set(rng.gen_range(5..25)),
                active: Set(n == 0),
                created_at: Set(now - Duration::days(rng.gen_range(30..900))),
                ..Default::default()
            });
        }
        for (priority, (name, forward_to)) in [
            ("Business Hours", extension.to_string()),
            ("After Hours", "voicemail".to_string()),
            ("Holidays", "voicemail".to_string()),
        ]
        .into_iter()
        .enumerate()
        {
            self.rules.push(answering_rule::ActiveModel {
                user_id: Set(user_id),
                name: Set(name.into()),
                priority: Set(priority as i32),
                forward_to: Set(forward_to),
                enabled: Set(true),
                ..Default::default()
            });
        }
        for _ in 0..rng.gen_range(5..=15) {
            let (first, last) = name_of(rng.gen_range(0..1600));
            self.contacts.push(contact::ActiveModel {
                user_id: Set(user_id),
                first_name: Set(first.into()),
                last_name: Set(last.into()),
                phone: Set(phone(rng)),
                email: Set(Some(format!("{}@customer.example", first.to_lowercase()))),
                ..Default::default()
            });
        }
        for _ in 0..rng.gen_range(30..=70) {
            let direction = ["inbound", "outbound", "missed"][rng.gen_range(0..3)];
            self.calls.push(call_history::ActiveModel {
                user_id: Set(user_id),
                direction: Set(direction.into()),
                remote_number: Set(phone(rng)),
                started_at: Set(now - Duration::minutes(rng.gen_range(5..60 * 24 * 30))),
                duration_secs: Set(if direction == "missed" { 0 } else { rng.gen_range(10..1800) }),
                ..Default::default()
            });
        }
        if let Some(queue_id) = queues.get(position % queues.len().max(1)) {
            self.memberships.push(queue_membership::ActiveModel {
                user_id: Set(user_id),
                queue_id: Set(*queue_id),
                priority: Set(1),
                ..Default::default()
            });
        }
        self.numbers.push(phone_number::ActiveModel {
            domain_id: Set(domain_id),
            number: Set(format!("+1555{:07}", 2_000_000 + position)),
            user_id: Set(Some(user_id)),
            ..Default::default()
        });
    }

    async fn insert(self, txn: &DatabaseTransaction) -> Result<(), DbErr> {
        db::insert_chunked(txn, self.devices).await?;
        db::insert_chunked(txn, self.messages).await?;
        db::insert_chunked(txn, self.greetings).await?;
        db::insert_chunked(txn, self.rules).await?;
        db::insert_chunked(txn, self.contacts).await?;
        db::insert_chunked(txn, self.calls).await?;
        db::insert_chunked(txn, self.memberships).await?;
        db::insert_chunked(txn, self.numbers).await
    }
}
