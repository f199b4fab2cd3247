//! Why a job action's `apply` did not change a batch's users after all.

use sea_orm::DbErr;

/// Why a batch's action was not done to its users after all.
#[derive(Debug)]
pub enum Refusal {
    /// Something about a user prevents it (they changed since the job started); in words for the admin.
    User(String),
    Database(DbErr),
}

impl Refusal {
    pub(super) fn moved() -> Self {
        Refusal::User("The user is no longer in this domain.".into())
    }
}

impl From<DbErr> for Refusal {
    fn from(err: DbErr) -> Self {
        Refusal::Database(err)
    }
}
