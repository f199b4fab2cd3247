//! "How many rows of this table belong to each of these ids": one grouped query, for the counts the
//! pages show beside each row (a domain's users, a user's devices).

use crate::server::db::ids::AmongIds;
use sea_orm::{prelude::*, FromQueryResult, QuerySelect};
use std::collections::HashMap;

#[derive(FromQueryResult)]
struct KeyCount {
    key: i32,
    n: i64,
}

/// The number of rows of `E` whose `key` is each of `ids`; ids without rows are absent.
pub async fn per_key<E: EntityTrait>(
    db: &impl ConnectionTrait,
    key: E::Column,
    ids: Vec<i32>,
) -> Result<HashMap<i32, u64>, DbErr> {
    let counts = E::find()
        .select_only()
        .column_as(key, "key")
        .column_as(Expr::col(key).count(), "n")
        .filter(key.among(db.get_database_backend(), ids))
        .group_by(key)
        .into_model::<KeyCount>()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|count| (count.key, count.n.unsigned_abs())).collect())
}
