//! The time a scheduled job is to start: chosen by an admin in their own time zone, checked, kept in UTC,
//! and described back to people in that zone. Starting a job when its time comes is `jobs::start_due`.

use crate::server::entities::bulk_job;
use crate::shared::bulk::{Schedule, When};
use crate::shared::error::AppError;
use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A job may be scheduled at most this far ahead.
const MAX_DAYS_AHEAD: i64 = 366;

/// The longest time zone name and date-time text read.
const MAX_ZONE_LEN: usize = 64;
const MAX_LOCAL_LEN: usize = 32;

/// A time a job is to start, and the zone it was chosen in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunAt {
    pub at: DateTime<Utc>,
    pub zone: Tz,
}

impl RunAt {
    pub fn schedule(&self) -> Schedule {
        describe(self.at, self.zone)
    }
}

/// The time `when` names, if it names one, after checking it: a real time in a known zone, in the
/// future (after `now`) and within a year. Each refusal is at the time field and says why.
pub fn parse(when: &When, now: DateTime<Utc>) -> Result<Option<RunAt>, AppError> {
    let (local, zone) = match when {
        When::Now => return Ok(None),
        When::At { local, zone } => (local.trim(), zone.trim()),
    };
    let refuse = |message: String| AppError::invalid(When::FIELD, message);
    // Zone names are short ("America/Argentina/ComodRivadavia" is among the longest): a longer one is
    // not read, nor repeated back.
    let zone: Tz = Some(zone)
        .filter(|zone| zone.len() <= MAX_ZONE_LEN)
        .and_then(|zone| zone.parse().ok())
        .ok_or_else(|| refuse("Your browser's time zone is not one this server knows; choose Now instead.".into()))?;
    if local.is_empty() {
        return Err(refuse("Choose the date and time of the reset.".into()));
    }
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .filter(|_| local.len() <= MAX_LOCAL_LEN)
        .find_map(|format| NaiveDateTime::parse_from_str(local, format).ok())
        .ok_or_else(|| refuse("Enter the date and time like 2026-12-04 18:00.".into()))?;
    let at = match zone.from_local_datetime(&naive) {
        LocalResult::Single(at) => at,
        // The hour the clocks go back happens twice: the first one.
        LocalResult::Ambiguous(first, _) => first,
        LocalResult::None => {
            return Err(refuse(format!(
                "{} does not exist in {} (the clocks go forward then); choose another time.",
                naive.format("%H:%M on %-d %B"),
                zone.name()
            )))
        }
    }
    .with_timezone(&Utc);
    if at <= now {
        let now_there = now.with_timezone(&zone);
        return Err(refuse(format!(
            "Choose a time in the future: it is already {} in {}.",
            now_there.format("%H:%M on %-d %B"),
            zone.name()
        )));
    }
    if at > now + chrono::Duration::days(MAX_DAYS_AHEAD) {
        return Err(refuse("Choose a time within a year from now.".into()));
    }
    Ok(Some(RunAt { at, zone }))
}

/// `at` as people in `zone` read it: "Friday 4 December at 18:00", "Fri 4 Dec 18:00" (with the year
/// when it is not this year's).
pub fn describe(at: DateTime<Utc>, zone: Tz) -> Schedule {
    let local = at.with_timezone(&zone);
    let this_year = Utc::now().with_timezone(&zone).year() == local.year();
    let (long, short) = if this_year {
        ("%A %-d %B at %H:%M", "%a %-d %b %H:%M")
    } else {
        ("%A %-d %B %Y at %H:%M", "%a %-d %b %Y %H:%M")
    };
    Schedule { long: local.format(long).to_string(), short: local.format(short).to_string(), zone: zone.name().into() }
}

/// When job `job` is to start, if it was scheduled.
pub fn of(job: &bulk_job::Model) -> Option<Schedule> {
    let zone = job.time_zone.as_deref().and_then(|zone| zone.parse().ok()).unwrap_or(Tz::UTC);
    job.run_at.map(|at| describe(at, zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(local: &str, zone: &str) -> When {
        When::At { local: local.into(), zone: zone.into() }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).expect("a valid time")
    }

    fn message(result: Result<Option<RunAt>, AppError>) -> String {
        match result {
            Err(AppError::Invalid(problems)) => {
                assert_eq!(problems[0].field, When::FIELD);
                problems[0].message.clone()
            }
            other => panic!("expected a refusal at the time field, got {other:?}"),
        }
    }

    #[test]
    fn a_local_time_is_kept_in_utc_and_shown_in_its_zone() {
        let now = utc("2026-12-01T09:00:00Z");
        let run_at = parse(&at("2026-12-04T18:00", "Europe/Berlin"), now).unwrap().unwrap();
        assert_eq!(run_at.at, utc("2026-12-04T17:00:00Z"));
        let schedule = describe(run_at.at, run_at.zone);
        assert_eq!(schedule.zone, "Europe/Berlin");
        assert!(schedule.long.starts_with("Friday 4 December"), "{schedule:?}");
        assert!(schedule.short.starts_with("Fri 4 Dec") && schedule.short.ends_with("18:00"), "{schedule:?}");
        assert_eq!(parse(&When::Now, now).unwrap(), None);
        let with_seconds = parse(&at("2026-12-01T10:00:30", "Europe/Berlin"), now).unwrap().unwrap();
        assert_eq!(with_seconds.at, utc("2026-12-01T09:00:30Z"));
    }

    #[test]
    fn each_bad_time_is_refused_at_the_field_with_why() {
        let now = utc("2026-12-01T09:00:00Z");
        assert_eq!(message(parse(&at("", "Europe/Berlin"), now)), "Choose the date and time of the reset.");
        assert!(message(parse(&at("2026-12-01T09:59", "Europe/Berlin"), now))
            .starts_with("Choose a time in the future: it is already 10:00"));
        assert!(message(parse(&at("2026-03-29T02:30", "Europe/Berlin"), utc("2026-01-01T00:00:00Z")))
            .contains("does not exist in Europe/Berlin"));
        assert_eq!(
            message(parse(&at("2028-01-01T00:00", "Europe/Berlin"), now)),
            "Choose a time within a year from now."
        );
        assert!(message(parse(&at("tomorrow", "Europe/Berlin"), now)).starts_with("Enter the date and time like"));
        assert!(message(parse(&at("2026-12-04T18:00", "Mars/Olympus"), now)).contains("time zone is not one"));
    }
}
