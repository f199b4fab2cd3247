//! Every address of the portal, written once: the pages, the server functions' prefix, the progress
//! streams and the CSV download. The router, the server's routes and middleware, the links the pages
//! draw and the emails all take them from here, so that a link and the route it leads to cannot drift
//! apart. Templates name their parameters the way axum does (`{job}`); the functions fill them in.

/// `$rest` under the prefix of the server functions and the progress streams: the server function
/// macro's own default (`/api`), which the server's guards rely on.
macro_rules! api {
    ($rest:literal) => {
        concat!("/api", $rest)
    };
}

/// `$rest` under the Activity page.
macro_rules! activity {
    ($rest:literal) => {
        concat!("/activity", $rest)
    };
}

/// `$rest` under the domain list.
macro_rules! domains {
    ($rest:literal) => {
        concat!("/domains", $rest)
    };
}

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
/// Choosing a password through an emailed link (`?token=…`).
pub const SET_PASSWORD: &str = "/set-password";
/// Where a user whose password reset was forced must go first.
pub const CHANGE_PASSWORD: &str = "/change-password";
pub const ME: &str = "/me";
pub const DOMAINS: &str = domains!("");
/// A domain's Users page.
pub const USERS: &str = domains!("/{domain}/users");
pub const ACTIVITY: &str = activity!("");
pub const OUTBOX: &str = "/outbox";

/// Server functions, and the streams beside them: not pages (no redirect to sign-in; JSON refusals).
pub const API: &str = api!("");
/// A job's live progress (server-sent events).
pub const JOB_EVENTS: &str = api!("/jobs/{job}/events");
/// A domain's unfinished jobs, for the Users page's banner (server-sent events).
pub const RUNNING_JOBS: &str = api!("/domains/{domain}/jobs/events");
/// A job's per-user results as a CSV file.
pub const RESULTS_CSV: &str = activity!("/{job}/results.csv");

/// A domain's Provisioning page: its SCIM address, API tokens and deprovisioning options.
pub const PROVISIONING: &str = domains!("/{domain}/provisioning");

/// The SCIM 2.0 service for identity providers (its resources below it: `/Users`, `/Schemas` …).
pub const SCIM: &str = "/scim/v2";

/// The name of the Users page's one parameter, as the router reads it.
pub const DOMAIN_PARAM: &str = "domain";

pub fn users(domain: &str) -> String {
    fill(USERS, DOMAIN_PARAM, domain)
}

pub fn provisioning(domain: &str) -> String {
    fill(PROVISIONING, DOMAIN_PARAM, domain)
}

pub fn job_events(job: i32) -> String {
    fill(JOB_EVENTS, "job", &job.to_string())
}

pub fn running_jobs(domain: &str) -> String {
    fill(RUNNING_JOBS, DOMAIN_PARAM, domain)
}

pub fn results_csv(job: i32) -> String {
    fill(RESULTS_CSV, "job", &job.to_string())
}

/// A set-password link's path for `token`.
pub fn set_password(token: &str) -> String {
    format!("{SET_PASSWORD}?token={token}")
}

/// `template` with its parameter `name` replaced by `value`.
fn fill(template: &str, name: &str, value: &str) -> String {
    template.replace(&format!("{{{name}}}"), value)
}

/// The segments of `template` as the router matches them, parameters as `:name` (Leptos's form).
pub fn segments(template: &'static str) -> impl Iterator<Item = Segment> {
    template.split('/').filter(|part| !part.is_empty()).map(|part| {
        match part.strip_prefix('{').and_then(|part| part.strip_suffix('}')) {
            Some(name) => Segment::Param(name),
            None => Segment::Fixed(part),
        }
    })
}

/// One segment of a path template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    Fixed(&'static str),
    Param(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_their_templates() {
        assert_eq!(users("a.example"), "/domains/a.example/users");
        assert_eq!(job_events(7), "/api/jobs/7/events");
        assert_eq!(running_jobs("a.example"), "/api/domains/a.example/jobs/events");
        assert_eq!(results_csv(7), "/activity/7/results.csv");
        assert_eq!(set_password("abc"), "/set-password?token=abc");
    }

    #[test]
    fn templates_split_into_the_routers_segments() {
        let users: Vec<Segment> = segments(USERS).collect();
        assert_eq!(users, [Segment::Fixed("domains"), Segment::Param("domain"), Segment::Fixed("users")]);
    }
}
