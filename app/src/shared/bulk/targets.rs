//! Whom a bulk action is for: the users ticked one by one, or every user that the Users page's search
//! and status filter match when the job starts ("Select all 3,127 users that match"), so that the
//! browser sends a filter rather than thousands of ids; and the users a confirmation lists, or leaves
//! out with why.

use crate::shared::model::{UserQuery, UserStatus};
use crate::shared::words::count_of;
use serde::{Deserialize, Serialize};

/// The Users page's search and status filter, without its order and page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserFilter {
    pub search: String,
    pub status: Option<UserStatus>,
}

impl UserFilter {
    /// "users that match “sales” and are Active", for the dialog's sentences.
    pub fn describe(&self, total: u64) -> String {
        let users = count_of(total, "user", "users");
        match (self.search.trim(), self.status) {
            ("", None) => format!("all {users}"),
            ("", Some(status)) => format!("all {users} with the status {}", status.label()),
            (search, None) => format!("all {users} that match “{search}”"),
            (search, Some(status)) => format!("all {users} that match “{search}” with the status {}", status.label()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Targets {
    /// These users (ticked on any number of pages): each must qualify, or the request is refused.
    Ticked(Vec<i32>),
    /// Every user of the domain the filter matches when the job starts; those who may not be acted
    /// on are left out, each with the reason.
    Matching(UserFilter),
}

impl From<&UserQuery> for UserFilter {
    /// The query's search and status filter alone: what "Select all users that match" carries.
    fn from(query: &UserQuery) -> Self {
        UserFilter { search: query.search.clone(), status: query.status }
    }
}

/// A user as the confirmation step lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewUser {
    pub user_id: i32,
    pub extension: String,
    pub name: String,
    pub email: Option<String>,
}

/// A ticked user the action leaves out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedUser {
    pub user: PreviewUser,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_reads_as_a_phrase() {
        let filter = UserFilter { search: " sales ".into(), status: Some(UserStatus::Active) };
        assert_eq!(filter.describe(3127), "all 3,127 users that match “sales” with the status Active");
        assert_eq!(UserFilter::default().describe(1), "all 1 user");
    }
}
