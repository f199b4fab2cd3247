//! Creating a table's indexes, each named and over its columns in order.

use sea_orm_migration::prelude::*;

pub(crate) async fn create<T: Iden + Copy + 'static, C: Iden + 'static>(
    manager: &SchemaManager<'_>,
    table: T,
    indexes: Vec<(&str, Vec<C>)>,
) -> Result<(), DbErr> {
    for (name, cols) in indexes {
        let mut index = Index::create();
        index.name(name).table(table);
        for col in cols {
            index.col(col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}
