//! A list of ids in a condition (`column` is one of `ids`), written for the database at hand.
//!
//! On PostgreSQL the list is bound as one array (`"users"."id" = ANY($1)`): one parameter, and one
//! prepared statement whatever the list's length. As `IN ($1, …, $1000)`, each batch statement of a
//! 10,000-user reset spent about a millisecond having its thousand parameters bound (some 40 ms of the
//! reset, seen in PostgreSQL's statement log), and every length of list was a prepared statement of
//! its own in each pooled connection. SQLite has no arrays, and binds a value with a function call in
//! this process, so it keeps `IN (?, …)`.

use sea_orm::sea_query::{extension::postgres::PgFunc, Expr, IntoColumnRef, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend};

/// `column` is one of `ids`, in `backend`'s words.
pub fn among(backend: DbBackend, column: impl IntoColumnRef, ids: impl IntoIterator<Item = i32>) -> SimpleExpr {
    let column = Expr::col(column);
    match backend {
        DbBackend::Postgres => column.eq(PgFunc::any(Expr::val(ids.into_iter().collect::<Vec<i32>>()))),
        DbBackend::Sqlite | DbBackend::MySql => column.is_in(ids),
    }
}

/// An entity's column holding ids, compared with a list of them.
pub trait AmongIds: ColumnTrait {
    /// This column, named with its table, is one of `ids`.
    fn among(self, backend: DbBackend, ids: impl IntoIterator<Item = i32>) -> SimpleExpr {
        among(backend, self.as_column_ref(), ids)
    }
}

impl<C: ColumnTrait> AmongIds for C {}

#[cfg(test)]
mod tests {
    use super::AmongIds;
    use crate::server::entities::user;
    use sea_orm::{DbBackend, EntityTrait, QueryFilter, QueryTrait};

    /// The statement `backend` is sent for users 1 to 1,000: its text and how many values it binds.
    fn sent(backend: DbBackend) -> (String, usize) {
        let statement = user::Entity::find().filter(user::Column::Id.among(backend, 1..=1000)).build(backend);
        (statement.sql, statement.values.map_or(0, |values| values.0.len()))
    }

    #[test]
    fn postgresql_is_sent_one_array_whatever_the_lists_length() {
        let (sql, values) = sent(DbBackend::Postgres);
        assert!(sql.ends_with(r#"WHERE "users"."id" = ANY($1)"#), "{sql}");
        assert_eq!(values, 1);
    }

    #[test]
    fn sqlite_is_sent_a_value_per_id() {
        let (sql, values) = sent(DbBackend::Sqlite);
        assert!(sql.contains(r#"WHERE "users"."id" IN (?, ?, "#), "{sql}");
        assert_eq!(values, 1000);
    }
}
