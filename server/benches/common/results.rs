//! `bench/results.md`: each part of `make bench` keeps its last run there under its own heading, so
//! that the next run can print the figures beside the last ones.

use std::path::Path;

const RESULTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/results.md");

/// The text of the section under `heading` in the last run's results (empty if there is none).
pub fn last(heading: &str) -> String {
    let text = std::fs::read_to_string(RESULTS).unwrap_or_default();
    text.split(heading).nth(1).map(|after| after.split("\n## ").next().unwrap_or(after).to_string()).unwrap_or_default()
}

/// Puts `section` (which starts with `heading`) in place of the last run's, or at the end.
pub fn record(heading: &str, section: &str) {
    let text = std::fs::read_to_string(RESULTS).unwrap_or_else(|_| {
        "# Benchmark results\n\nThe last run of each part of `make bench`, for comparison with the next.\n".to_string()
    });
    let kept = match text.split_once(heading) {
        Some((before, after)) => {
            let rest = after.find("\n## ").map(|at| &after[at + 1..]).unwrap_or("");
            format!("{before}{section}\n{rest}")
        }
        None => format!("{}\n\n{section}", text.trim_end_matches('\n')),
    };
    if let Some(dir) = Path::new(RESULTS).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if let Err(err) = std::fs::write(RESULTS, kept) {
        println!("   (could not write bench/results.md: {err})");
    }
}
