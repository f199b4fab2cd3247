//! When a job runs: now, or at a time an admin chose in their own time zone; and that time as the
//! server describes it back.

use serde::{Deserialize, Serialize};

/// When a reset is done: now, or at a time the admin chose in their own time zone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum When {
    #[default]
    Now,
    At {
        /// The date and time as the browser's date-time field gives it: "2026-12-04T18:00".
        local: String,
        /// The browser's time zone, an IANA name: "Europe/Berlin".
        zone: String,
    },
}

impl When {
    /// The field a message about the time is shown at.
    pub const FIELD: &'static str = "run_at";
}

/// When a scheduled job is to start, in the time zone it was chosen in; made by the server, which
/// knows the zones' rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// "Friday 4 December at 18:00".
    pub long: String,
    /// "Fri 4 Dec 18:00".
    pub short: String,
    /// "Europe/Berlin".
    pub zone: String,
}

impl Schedule {
    /// "Fri 4 Dec 18:00 (Europe/Berlin)".
    pub fn short_with_zone(&self) -> String {
        format!("{} ({})", self.short, self.zone)
    }

    /// "Friday 4 December at 18:00 (Europe/Berlin)".
    pub fn long_with_zone(&self) -> String {
        format!("{} ({})", self.long, self.zone)
    }
}
