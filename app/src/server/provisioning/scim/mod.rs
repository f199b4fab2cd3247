//! The SCIM 2.0 protocol (RFC 7643, RFC 7644) around the people of a domain (`provisioning::people`):
//! Users as JSON, filters, PATCH, the discovery documents and SCIM's errors. The HTTP routes that use
//! them are the server's (`server/src/scim.rs`).

pub mod discovery;
pub mod error;
pub mod filter;
pub mod patch;
pub mod projection;
pub mod resource;

use error::{ScimError, ScimType};
use serde_json::{json, Value};

/// The most users one page of a list gives (`ServiceProviderConfig`'s `filter.maxResults`); a larger
/// `count` is capped to it.
pub const MAX_RESULTS: u64 = 200;
/// A page's size when the request names none.
pub const DEFAULT_COUNT: u64 = 100;

/// Which page of a list a request asks for: `startIndex` (1-based; less than 1 is 1) and `count`
/// (0 gives the total only; more than `MAX_RESULTS` is capped), as RFC 7644 §3.4.2.4 says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub start: u64,
    pub count: u64,
}

impl Page {
    pub fn parse(start_index: Option<&str>, count: Option<&str>) -> Result<Page, ScimError> {
        let number = |text: Option<&str>, name: &str| -> Result<Option<i64>, ScimError> {
            text.map(|text| {
                text.trim()
                    .parse::<i64>()
                    .map_err(|_| ScimError::bad(ScimType::InvalidValue, format!("{name} must be a whole number.")))
            })
            .transpose()
        };
        let start = number(start_index, "startIndex")?.unwrap_or(1).max(1).unsigned_abs();
        let count = number(count, "count")?.map_or(DEFAULT_COUNT, |count| count.max(0).unsigned_abs().min(MAX_RESULTS));
        Ok(Page { start, count })
    }
}

/// A ListResponse of `resources`, the page from `start` of `total`.
pub fn list_response(total: u64, start: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [resource::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_one_based_capped_and_zero_counts_only() {
        assert_eq!(Page::parse(None, None).unwrap(), Page { start: 1, count: DEFAULT_COUNT });
        assert_eq!(Page::parse(Some("0"), Some("1000000")).unwrap(), Page { start: 1, count: MAX_RESULTS });
        assert_eq!(Page::parse(Some("-5"), Some("-1")).unwrap(), Page { start: 1, count: 0 });
        assert_eq!(Page::parse(Some("3"), Some("2")).unwrap(), Page { start: 3, count: 2 });
        assert_eq!(Page::parse(None, Some("ten")).unwrap_err().scim_type, Some(ScimType::InvalidValue));
    }
}
