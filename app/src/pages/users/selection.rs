//! The users ticked on the Users page. Kept in the browser, keyed by user id, so that ticking paints
//! at once and the selection survives paging, sorting and filtering until it is cleared.

use crate::model::UserRow;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedUser {
    pub id: i32,
    pub extension: String,
    pub name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection(BTreeMap<i32, SelectedUser>);

impl Selection {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, id: i32) -> bool {
        self.0.contains_key(&id)
    }

    pub fn set(&mut self, row: &UserRow, ticked: bool) {
        if ticked {
            let user = SelectedUser { id: row.id, extension: row.extension.clone(), name: row.display_name() };
            self.0.insert(row.id, user);
        } else {
            self.0.remove(&row.id);
        }
    }

    /// Whether every row of the page is ticked (and there is at least one).
    pub fn covers(&self, rows: &[UserRow]) -> bool {
        !rows.is_empty() && rows.iter().all(|row| self.contains(row.id))
    }

    pub fn set_all(&mut self, rows: &[UserRow], ticked: bool) {
        for row in rows {
            self.set(row, ticked);
        }
    }

    /// Shift-click (or Shift+Space): every row from `anchor` (the row last ticked or unticked) to
    /// `index`, both included and in either order, takes the state the clicked row now has, as in a mail
    /// client.
    pub fn set_range(&mut self, rows: &[UserRow], anchor: usize, index: usize, ticked: bool) {
        let (from, to) = (anchor.min(index), anchor.max(index));
        for row in rows.iter().take(to + 1).skip(from) {
            self.set(row, ticked);
        }
    }

    pub fn ids(&self) -> Vec<i32> {
        self.0.keys().copied().collect()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// The selected users in extension order (numeric: 99 before 100).
    pub fn users(&self) -> Vec<SelectedUser> {
        let mut users: Vec<_> = self.0.values().cloned().collect();
        users.sort_by(|a, b| (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension)));
        users
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserStatus;

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

    #[test]
    fn ticking_and_unticking_one_user() {
        let mut selection = Selection::default();
        selection.set(&row(1, "201"), true);
        assert!(selection.contains(1));
        assert_eq!(selection.users()[0].name, "Ann Lee1");
        selection.set(&row(1, "201"), false);
        assert!(selection.is_empty());
    }

    #[test]
    fn select_all_on_a_page_keeps_other_pages_ticks() {
        let other_page = row(9, "900");
        let page = [row(1, "201"), row(2, "202")];
        let mut selection = Selection::default();
        selection.set(&other_page, true);
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
        assert_eq!(selection.ids(), [2, 3, 4, 5]);
        selection.set_range(&page, 3, 2, false);
        assert_eq!(selection.ids(), [2, 5]);
        selection.set_range(&page, 5, 99, true);
        assert_eq!(selection.ids(), [2, 5, 6], "a range past the page's end stops at its last row");
    }

    #[test]
    fn users_are_listed_in_numeric_extension_order() {
        let mut selection = Selection::default();
        for (id, extension) in [(1, "1000"), (2, "99"), (3, "201")] {
            selection.set(&row(id, extension), true);
        }
        let extensions: Vec<_> = selection.users().into_iter().map(|user| user.extension).collect();
        assert_eq!(extensions, ["99", "201", "1000"]);
    }
}
