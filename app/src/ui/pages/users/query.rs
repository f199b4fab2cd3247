//! The Users page keeps its search, filter, order and page in the URL, so that reloading, sharing a
//! link or going back shows the same list. Defaults are left out to keep addresses short.

use crate::shared::model::{SortDir, SortKey, UserQuery, UserStatus, DEFAULT_PAGE_SIZE};
use leptos_router::params::ParamsMap;

pub fn from_params(params: &ParamsMap) -> UserQuery {
    UserQuery {
        search: params.get("q").unwrap_or_default(),
        status: params.get_str("status").and_then(UserStatus::from_slug),
        sort: params.get_str("sort").and_then(SortKey::from_slug).unwrap_or_default(),
        dir: if params.get_str("dir") == Some("desc") { SortDir::Desc } else { SortDir::Asc },
        page: params.get_str("page").and_then(|page| page.parse().ok()).filter(|&page| page >= 1).unwrap_or(1),
        per_page: DEFAULT_PAGE_SIZE,
    }
}

/// The query string (with its `?`, or empty) that `from_params` reads back as `query`.
pub fn to_search(query: &UserQuery) -> String {
    let mut params = ParamsMap::new();
    if !query.search.is_empty() {
        params.insert("q", query.search.clone());
    }
    if let Some(status) = query.status {
        params.insert("status", status.slug().to_string());
    }
    if query.sort != SortKey::default() {
        params.insert("sort", query.sort.slug().to_string());
    }
    if query.dir == SortDir::Desc {
        params.insert("dir", "desc".to_string());
    }
    if query.page > 1 {
        params.insert("page", query.page.to_string());
    }
    params.to_query_string()
}

/// The query after clicking the `key` column: that column ascending, or the other way if it was
/// already sorted by it; back to the first page either way.
pub fn sorted_by(query: &UserQuery, key: SortKey) -> UserQuery {
    let dir = if query.sort == key { query.dir.flipped() } else { SortDir::Asc };
    UserQuery { sort: key, dir, page: 1, ..query.clone() }
}

pub fn on_page(query: &UserQuery, page: u64) -> UserQuery {
    UserQuery { page, ..query.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(search: &str) -> UserQuery {
        let params: ParamsMap = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.replace("%20", " ").replace("%40", "@")))
            .collect();
        from_params(&params)
    }

    #[test]
    fn the_default_query_has_an_empty_search_string() {
        assert_eq!(to_search(&UserQuery::default()), "");
        assert_eq!(parse(""), UserQuery::default());
    }

    #[test]
    fn every_part_of_a_query_survives_the_url() {
        let query = UserQuery {
            search: "ava smith@x".into(),
            status: Some(UserStatus::SetupRequired),
            sort: SortKey::Email,
            dir: SortDir::Desc,
            page: 3,
            per_page: DEFAULT_PAGE_SIZE,
        };
        assert_eq!(parse(&to_search(&query)), query);
    }

    #[test]
    fn nonsense_in_the_url_falls_back_to_defaults() {
        assert_eq!(parse("?status=gone&sort=shoe&dir=up&page=-2"), UserQuery::default());
        assert_eq!(parse("?page=0").page, 1);
    }

    #[test]
    fn clicking_a_column_sorts_by_it_then_flips_it() {
        let first = sorted_by(&on_page(&UserQuery::default(), 4), SortKey::Name);
        assert_eq!((first.sort, first.dir, first.page), (SortKey::Name, SortDir::Asc, 1));
        let second = sorted_by(&first, SortKey::Name);
        assert_eq!(second.dir, SortDir::Desc);
        assert_eq!(sorted_by(&second, SortKey::Status).dir, SortDir::Asc);
    }
}
