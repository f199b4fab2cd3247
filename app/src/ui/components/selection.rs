//! The users ticked on the Users page. Kept in the browser, keyed by user id, so that ticking paints
//! at once and the selection survives paging, sorting and filtering until it is cleared.

use crate::shared::bulk::{Targets, UserFilter};
use crate::shared::model::UserRow;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedUser {
    pub id: i32,
    pub extension: String,
    pub name: String,
}

impl SelectedUser {
    fn of(row: &UserRow) -> Self {
        SelectedUser { id: row.id, extension: row.extension.clone(), name: row.display_name() }
    }
}

/// The ticked users, or every user that a search and filter match ("Select all 3,127 users that
/// match"): then the server, not the browser, finds them when the job starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    Ticked(BTreeMap<i32, SelectedUser>),
    Matching { filter: UserFilter, total: u64 },
}

impl Default for Selection {
    fn default() -> Self {
        Selection::Ticked(BTreeMap::new())
    }
}

impl Selection {
    pub fn len(&self) -> u64 {
        match self {
            Selection::Ticked(users) => users.len() as u64,
            Selection::Matching { total, .. } => *total,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row shown while all matches are selected is one of them (a new search clears it).
    pub fn contains(&self, id: i32) -> bool {
        match self {
            Selection::Ticked(users) => users.contains_key(&id),
            Selection::Matching { .. } => true,
        }
    }

    /// The filter and its count, when every match is selected.
    pub fn matching(&self) -> Option<(&UserFilter, u64)> {
        match self {
            Selection::Matching { filter, total } => Some((filter, *total)),
            Selection::Ticked(_) => None,
        }
    }

    /// Whether every row of the page is ticked (and there is at least one).
    pub fn covers(&self, rows: &[UserRow]) -> bool {
        !rows.is_empty() && rows.iter().all(|row| self.contains(row.id))
    }

    pub fn set_all(&mut self, rows: &[UserRow], ticked: bool) {
        self.set_range(rows, 0, rows.len().saturating_sub(1), ticked);
    }

    /// Shift-click (or Shift+Space): every row from `anchor` (the row last ticked or unticked) to
    /// `index`, both included and in either order, takes the state the clicked row now has, as in a mail
    /// client.
    pub fn set_range(&mut self, rows: &[UserRow], anchor: usize, index: usize, ticked: bool) {
        let (from, to) = (anchor.min(index), anchor.max(index));
        let mut users = match std::mem::take(self) {
            Selection::Ticked(users) => users,
            // While every match is selected, the page's rows become the ticked ones first, as a mail
            // client does when one row of "all" is changed.
            Selection::Matching { .. } => rows.iter().map(|row| (row.id, SelectedUser::of(row))).collect(),
        };
        for row in rows.iter().take(to + 1).skip(from) {
            if ticked {
                users.insert(row.id, SelectedUser::of(row));
            } else {
                users.remove(&row.id);
            }
        }
        *self = Selection::Ticked(users);
    }

    /// Every user `filter` matches (`total` of them now).
    pub fn select_matching(&mut self, filter: UserFilter, total: u64) {
        *self = Selection::Matching { filter, total };
    }

    /// What a bulk action is sent for.
    pub fn targets(&self) -> Targets {
        match self {
            Selection::Ticked(users) => Targets::Ticked(users.keys().copied().collect()),
            Selection::Matching { filter, .. } => Targets::Matching(filter.clone()),
        }
    }

    pub fn clear(&mut self) {
        *self = Selection::default();
    }

    /// The ticked users in extension order (numeric: 99 before 100); none are listed for all matches.
    pub fn users(&self) -> Vec<SelectedUser> {
        let Selection::Ticked(users) = self else { return Vec::new() };
        let mut users: Vec<_> = users.values().cloned().collect();
        users.sort_by(|a, b| (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension)));
        users
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::model::UserStatus;

    fn row(id: i32, extension: &str) -> UserRow {
        UserRow {
            id,
            extension: extension.into(),
            first_name: "Ann".into(),
            last_name: format!("Lee{id}"),
            email: None,
            status: UserStatus::Active,
            device_count: 0,
        }
    }

    fn ids(selection: &Selection) -> Vec<i32> {
        match selection.targets() {
            Targets::Ticked(ids) => ids,
            Targets::Matching(filter) => panic!("all matching {filter:?}"),
        }
    }

    #[test]
    fn all_matches_are_sent_as_the_filter_and_changing_a_row_ticks_the_page_instead() {
        let page: Vec<UserRow> = (1..=3).map(|id| row(id, &format!("20{id}"))).collect();
        let filter = UserFilter { search: "lee".into(), status: None };
        let mut selection = Selection::default();
        selection.set_all(&page, true);
        selection.select_matching(filter.clone(), 3127);
        assert_eq!((selection.len(), selection.targets()), (3127, Targets::Matching(filter)));
        assert!(selection.covers(&page) && selection.users().is_empty());
        selection.set_range(&page, 1, 1, false);
        assert_eq!(ids(&selection), [1, 3]);
        assert_eq!(selection.len(), 2);
    }

    #[test]
    fn ticking_and_unticking_one_user() {
        let mut selection = Selection::default();
        selection.set_all(&[row(1, "201")], true);
        assert!(selection.contains(1));
        assert_eq!(selection.users()[0].name, "Ann Lee1");
        selection.set_all(&[row(1, "201")], false);
        assert!(selection.is_empty());
    }

    #[test]
    fn select_all_on_a_page_keeps_other_pages_ticks() {
        let other_page = row(9, "900");
        let page = [row(1, "201"), row(2, "202")];
        let mut selection = Selection::default();
        selection.set_all(&[other_page], true);
        assert!(!selection.covers(&page));
        selection.set_all(&page, true);
        assert!(selection.covers(&page));
        assert_eq!(selection.len(), 3);
        selection.set_all(&page, false);
        assert_eq!(selection.len(), 1);
        assert!(selection.contains(9));
        assert!(!selection.covers(&[]), "an empty page is never 'all selected'");
    }

    #[test]
    fn a_range_takes_the_clicked_rows_state_in_either_direction() {
        let page: Vec<UserRow> = (1..=6).map(|id| row(id, &format!("20{id}"))).collect();
        let mut selection = Selection::default();
        selection.set_range(&page, 1, 4, true);
        assert_eq!(ids(&selection), [2, 3, 4, 5]);
        selection.set_range(&page, 3, 2, false);
        assert_eq!(ids(&selection), [2, 5]);
        selection.set_range(&page, 5, 99, true);
        assert_eq!(ids(&selection), [2, 5, 6], "a range past the page's end stops at its last row");
    }

    #[test]
    fn users_are_listed_in_numeric_extension_order() {
        let mut selection = Selection::default();
        for (id, extension) in [(1, "1000"), (2, "99"), (3, "201")] {
            selection.set_all(&[row(id, extension)], true);
        }
        let extensions: Vec<_> = selection.users().into_iter().map(|user| user.extension).collect();
        assert_eq!(extensions, ["99", "201", "1000"]);
    }
}
