//! Why a running job makes no progress for now, as its admin is told: a bar that stands still with no
//! word looks like a portal that hangs. The server finds the reason (`server::bulk::waiting`).

use crate::shared::words::{count_of, number};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Waiting {
    /// The operator holds the domain's bulk work (`switchboard jobs hold`).
    Held,
    /// The domain has had its users for this hour; there is room again in about `minutes`.
    HourlyLimit { per_hour: u32, minutes: u32 },
    /// The domain's earlier jobs have every place it has: `at_once` of its jobs run at a time.
    EarlierJobs { at_once: u32 },
}

impl Waiting {
    /// The progress step's sentence.
    pub fn sentence(self) -> String {
        match self {
            Waiting::Held => "Paused by your service provider: the users not done yet are untouched, and the \
                              job goes on when it is resumed."
                .to_string(),
            Waiting::HourlyLimit { per_hour, minutes } => format!(
                "Waiting: this domain may have {} done an hour, and has. The job goes on in about {}; the \
                 users not done yet are untouched until then.",
                count_of(per_hour.into(), "user", "users"),
                count_of(minutes.into(), "minute", "minutes"),
            ),
            Waiting::EarlierJobs { at_once } => format!(
                "Waiting for this domain's earlier jobs: {} at a time. This one goes on when one of them \
                 finishes; its users are untouched until then.",
                number(at_once.into())
            ),
        }
    }

    /// The Users page's banner's few words: "paused by your service provider".
    pub fn short(self) -> String {
        match self {
            Waiting::Held => "paused by your service provider".to_string(),
            Waiting::HourlyLimit { minutes, .. } => {
                format!("hourly limit reached, goes on in about {}", count_of(minutes.into(), "minute", "minutes"))
            }
            Waiting::EarlierJobs { .. } => "waiting for earlier jobs".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_reads_as_a_sentence_with_its_figures() {
        let limit = Waiting::HourlyLimit { per_hour: 1500, minutes: 1 };
        assert_eq!(
            limit.sentence(),
            "Waiting: this domain may have 1,500 users done an hour, and has. The job goes on in about 1 minute; \
             the users not done yet are untouched until then."
        );
        assert_eq!(limit.short(), "hourly limit reached, goes on in about 1 minute");
        assert!(Waiting::EarlierJobs { at_once: 3 }
            .sentence()
            .starts_with("Waiting for this domain's earlier jobs: 3 at"));
        assert!(Waiting::Held.sentence().starts_with("Paused by your service provider"));
    }
}
