//! A figure of the last run, read back from its table in `bench/results.md` to print beside this run's.

use super::results;

/// Cell `n` (counted from the row's first) of the row for `what` in the last run's table under
/// `heading`; "-" if there was none.
pub fn last_cell(heading: &str, what: &str, n: usize) -> String {
    results::last(heading)
        .lines()
        .find(|line| line.starts_with(&format!("| {what} |")))
        .and_then(|line| line.split('|').map(str::trim).nth(n).map(str::to_string))
        .unwrap_or_else(|| "-".to_string())
}

/// Two cells of that row, as "a / b"; "-" if there was no such row.
#[allow(dead_code, reason = "the benches with two figures a row use it, the others one cell")]
pub fn last_cells(heading: &str, what: &str, cells: [usize; 2]) -> String {
    match cells.map(|n| last_cell(heading, what, n)) {
        [a, b] if a == "-" && b == "-" => "-".to_string(),
        [a, b] => format!("{a} / {b}"),
    }
}
