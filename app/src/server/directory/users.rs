//! Users (subscribers): creating one (CLI, demo) and the paged, searchable list of the Users page.

use crate::server::auth::authz::ManagedDomain;
use crate::server::auth::passwords;
use crate::server::db::OnUnique;
use crate::server::directory::counts;
use crate::server::directory::domains;
use crate::server::entities::{device, domain, user};
use crate::shared::bulk::UserFilter;
use crate::shared::error::{AppError, FieldError};
use crate::shared::model::{Scope, SortDir, SortKey, UserPage, UserQuery, UserRow, UserStatus, MAX_PAGE_SIZE};
use crate::shared::validate::{validate_email, validate_extension, validate_name};
use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Func, LikeExpr, NullOrdering, Query, SelectStatement, SimpleExpr};
use sea_orm::{prelude::*, ActiveValue::Set, Condition, DbBackend, Order, QueryOrder, QuerySelect, QueryTrait};

const MAX_SEARCH_LEN: usize = 100;

/// A user to create, as the CLI or the demo seeder describes it.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub domain: String,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub scope: Scope,
    /// Without one the user is "Password Required" until they choose one.
    pub password: Option<String>,
}

/// Creates a user after checking every field; a duplicate extension or unknown domain changes nothing.
pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model, AppError> {
    let domain_name = domains::normalize_name(&new.domain)?;
    validate_extension(&new.extension)?;
    validate_name("first_name", "First Name", &new.first_name)?;
    validate_name("last_name", "Last Name", &new.last_name)?;
    // Lower case: addresses are matched without regard to case (sign-in by email).
    let email = new.email.map(|email| email.trim().to_lowercase()).filter(|email| !email.is_empty());
    if let Some(email) = &email {
        validate_email(email)?;
    }
    let login = format!("{}@{domain_name}", new.extension);
    if let Some(password) = &new.password {
        // The same rules, and the same messages, as the web forms.
        AppError::unless_any(
            FieldError::each("password", passwords::problems(password, &login, &new.extension)).collect(),
        )?;
    }
    let domain = domains::find(db, &domain_name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("There is no domain named {domain_name}.")))?;
    let duplicate = || format!("The extension {} already exists in {domain_name}.", new.extension);
    let taken = user::Entity::find()
        .filter(user::Column::DomainId.eq(domain.id))
        .filter(user::Column::Extension.eq(&new.extension))
        .count(db)
        .await?;
    if taken > 0 {
        return Err(AppError::Conflict(duplicate()));
    }
    let (password_hash, status) = match new.password {
        Some(password) => (Some(passwords::hash(password).await?), UserStatus::Active),
        None => (None, UserStatus::PasswordRequired),
    };
    let now = Utc::now();
    user::ActiveModel {
        domain_id: Set(domain.id),
        login: Set(login),
        extension: Set(new.extension.clone()),
        first_name: Set(new.first_name.trim().to_string()),
        last_name: Set(new.last_name.trim().to_string()),
        email: Set(email),
        password_hash: Set(password_hash),
        voicemail_pin_hash: Set(None),
        scope: Set(new.scope),
        status: Set(status),
        must_change_password: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .on_unique(duplicate)
}

fn validate_query(query: &UserQuery) -> Result<(), AppError> {
    if !(1..=MAX_PAGE_SIZE).contains(&query.per_page) {
        return Err(AppError::invalid("per_page", format!("Show between 1 and {MAX_PAGE_SIZE} users per page.")));
    }
    validate_filter(&UserFilter::from(query))
}

/// A filter's search is bounded: it becomes a pattern per word and column.
pub fn validate_filter(filter: &UserFilter) -> Result<(), AppError> {
    if filter.search.chars().count() > MAX_SEARCH_LEN {
        return Err(AppError::invalid("search", format!("Search for at most {MAX_SEARCH_LEN} characters.")));
    }
    Ok(())
}

/// Each word of the search must appear in the extension, first or last name, or email (any case): in
/// the database's `search_text`, those four in lower case with spaces between (a word has no space, so
/// it is in the text exactly when it is in one of them). The words are looked up in a subquery of their
/// own, which the search indexes answer instead of trying every user in the page's order: on
/// PostgreSQL the trigram index over `search_text`; on SQLite the trigram table `users_search` for words
/// of three characters or more (a quoted FTS5 phrase of a word's trigrams is the word as a substring),
/// and the covering index over `search_text` for shorter ones, which trigrams cannot find.
fn search_condition(backend: DbBackend, domain_id: i32, search: &str) -> Option<SimpleExpr> {
    let words: Vec<String> = search.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return None;
    }
    let (trigrams, scanned): (Vec<String>, Vec<String>) = match backend {
        DbBackend::Sqlite => words.into_iter().partition(|word| word.chars().count() >= 3),
        _ => (Vec::new(), words),
    };
    let found = Alias::new("found");
    let mut select = Query::select();
    select
        .column((found.clone(), user::Column::Id))
        .from_as(user::Entity, found.clone())
        .and_where(Expr::col((found.clone(), user::Column::DomainId)).eq(domain_id));
    for word in scanned {
        let escaped: String =
            word.chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        let text = Expr::col((found.clone(), Alias::new("search_text")));
        select.and_where(text.like(LikeExpr::new(format!("%{escaped}%")).escape('\\')));
    }
    if !trigrams.is_empty() {
        let phrases: Vec<String> = trigrams.iter().map(|word| format!("\"{}\"", word.replace('"', "\"\""))).collect();
        let indexed = Query::select()
            .column(Alias::new("rowid"))
            .from(Alias::new("users_search"))
            .and_where(Expr::cust_with_values("users_search MATCH ?", [phrases.join(" ")]))
            .to_owned();
        select.and_where(Expr::col((found.clone(), user::Column::Id)).in_subquery(indexed));
    }
    Some(user::Column::Id.in_subquery(select.to_owned()))
}

/// The users of `domain` that `filter` matches: every word of the search in the extension, a name or the
/// email (case aside), and the status, if one is chosen. The store (`backend`) decides which index
/// answers the search.
pub fn matching(backend: DbBackend, domain: &domain::Model, filter: &UserFilter) -> Condition {
    let mut condition = Condition::all().add(user::Column::DomainId.eq(domain.id)).add_option(search_condition(
        backend,
        domain.id,
        &filter.search,
    ));
    if let Some(status) = filter.status {
        condition = condition.add(user::Column::Status.eq(status));
    }
    condition
}

/// Extensions are digits: shorter sorts first, so 99 comes before 100.
fn by_extension(select: Select<user::Entity>, order: Order) -> Select<user::Entity> {
    select
        .order_by(
            SimpleExpr::from(Func::char_length(Expr::col((user::Entity, user::Column::Extension)))),
            order.clone(),
        )
        .order_by(user::Column::Extension, order)
}

/// A user's full name as `shared::model::full_name` makes it, computed by the database: first and last
/// name joined by a space, spaces at either end dropped (for the rows a statement copies, such as a
/// job's items). Names hold no control characters, so the two differ only for a name that begins or
/// ends with another Unicode space, which `full_name` drops and TRIM keeps.
pub fn full_name() -> SimpleExpr {
    Expr::cust(r#"TRIM("first_name" || ' ' || "last_name")"#)
}

/// `select` in extension order, 99 before 100.
pub fn in_extension_order(select: Select<user::Entity>) -> Select<user::Entity> {
    by_extension(select, Order::Asc)
}

/// `select` in `query`'s order, each order ending in the extension's (so that it is total).
fn ordered(select: Select<user::Entity>, query: &UserQuery) -> Select<user::Entity> {
    let order = match query.dir {
        SortDir::Asc => Order::Asc,
        SortDir::Desc => Order::Desc,
    };
    let by_extension = |select: Select<user::Entity>| by_extension(select, order.clone());
    match query.sort {
        SortKey::Extension => by_extension(select),
        SortKey::Name => by_extension(
            select.order_by(user::Column::LastName, order.clone()).order_by(user::Column::FirstName, order.clone()),
        ),
        SortKey::Email => {
            by_extension(select.order_by_with_nulls(user::Column::Email, order.clone(), NullOrdering::Last))
        }
        SortKey::Status => by_extension(select.order_by(user::Column::Status, order.clone())),
    }
}

/// The users of `domain` that `query` matches, in its order (every page of them).
pub fn listing(backend: DbBackend, domain: &domain::Model, query: &UserQuery) -> Select<user::Entity> {
    ordered(user::Entity::find().filter(matching(backend, domain, &UserFilter::from(query))), query)
}

/// The ids of the users on page `page` (1-based) of `query`, read from the order's index alone (and
/// the search index, for a search); the page's rows are then read by id. An offset over whole rows
/// would read every row before a far page.
pub fn page_ids(backend: DbBackend, domain: &domain::Model, query: &UserQuery, page: u64) -> SelectStatement {
    listing(backend, domain, query)
        .select_only()
        .column(user::Column::Id)
        .limit(query.per_page)
        .offset(page.saturating_sub(1) * query.per_page)
        .into_query()
}

/// One page of the users of `domain_id` matching `query`. A page past the end gives the last page.
pub async fn page(db: &DatabaseConnection, managed: &ManagedDomain, query: &UserQuery) -> Result<UserPage, AppError> {
    validate_query(query)?;
    let backend = db.get_database_backend();
    let total =
        user::Entity::find().filter(matching(backend, managed.domain(), &UserFilter::from(query))).count(db).await?;
    let pages = total.div_ceil(query.per_page).max(1);
    let page = query.page.clamp(1, pages);
    let ids = page_ids(backend, managed.domain(), query, page);
    let users = ordered(user::Entity::find().filter(user::Column::Id.in_subquery(ids)), query).all(db).await?;

    let ids: Vec<i32> = users.iter().map(|user| user.id).collect();
    let devices = counts::per_key::<device::Entity>(db, device::Column::UserId, ids).await?;

    let rows = users
        .into_iter()
        .map(|user| UserRow {
            device_count: devices.get(&user.id).copied().unwrap_or(0),
            id: user.id,
            extension: user.extension,
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email,
            status: user.status,
        })
        .collect();
    Ok(UserPage { rows, total, page, pages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_and_search_length_are_bounded() {
        let is_invalid =
            |result: Result<(), AppError>, wanted: &str| matches!(result, Err(error) if error.is_at(wanted));
        let too_big = UserQuery { per_page: MAX_PAGE_SIZE + 1, ..UserQuery::default() };
        assert!(is_invalid(validate_query(&too_big), "per_page"));
        let zero = UserQuery { per_page: 0, ..UserQuery::default() };
        assert!(validate_query(&zero).is_err());
        let long = UserQuery { search: "x".repeat(MAX_SEARCH_LEN + 1), ..UserQuery::default() };
        assert!(is_invalid(validate_query(&long), "search"));
        assert!(validate_query(&UserQuery::default()).is_ok());
    }
}
