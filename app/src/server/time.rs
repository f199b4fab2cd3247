//! Times as the pages, the emails' list and the CSV files show them.

use chrono::{DateTime, Utc};

/// To the minute, in UTC and saying so: "2026-11-27 14:05 UTC".
pub fn to_minute(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn names_the_minute_and_the_zone() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 14, 5, 59).single().expect("a valid time");
        assert_eq!(to_minute(at), "2026-11-27 14:05 UTC");
    }
}
