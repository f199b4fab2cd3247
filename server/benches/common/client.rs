//! Requests to a served portal made with curl, as a browser makes them.

use app::shared::bulk::{ResetOptions, ResetRequest, Targets, When};
use app::ui::components::bulk_action::reset_step::StartReset;
use leptos::server_fn::ServerFn;
use std::path::Path;

/// What curl prints for `args` (silently, the body only).
pub fn curl(args: &[&str]) -> String {
    let output = std::process::Command::new("curl").arg("-s").args(args).output().expect("curl runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Starts a reset of the users `ids` of `domain` with the default options as the Reset step does: the
/// `StartReset` server function posted as JSON to `site`, with `cookie` (curl's `-b`: a cookie jar's
/// path, or `name=value`). The request's body is written to `body` first (10,000 ids are too long for
/// an argument). Returns the job's id, or what the server answered instead.
pub fn start_reset(site: &str, cookie: &str, body: &Path, domain: &str, ids: Vec<i32>) -> Result<i32, String> {
    let request = ResetRequest {
        targets: Targets::Ticked(ids),
        options: ResetOptions::defaults(),
        recycle: false,
        when: When::Now,
    };
    let json = serde_json::to_string(&StartReset { domain: domain.to_string(), request }).expect("JSON");
    std::fs::write(body, json).expect("write the request");
    let answer = curl(&[
        "-b",
        cookie,
        "-H",
        &format!("Origin: {site}"),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", body.display()),
        &format!("{site}{}", StartReset::PATH),
    ]);
    serde_json::from_str::<serde_json::Value>(&answer)
        .ok()
        .and_then(|job| job["id"].as_i64())
        .and_then(|id| i32::try_from(id).ok())
        .ok_or(answer)
}
