//! A figure of the last run, read back from its table in `bench/results.md` to print beside this run's.

use super::results;

/// Two cells (`cells`, counted from the row's first) of the row for `what` in the last run's table
/// under `heading`, as "a / b"; "-" if there was none.
pub fn last_cells(heading: &str, what: &str, cells: [usize; 2]) -> String {
    results::last(heading)
        .lines()
        .find(|line| line.starts_with(&format!("| {what} |")))
        .map(|line| {
            let row: Vec<&str> = line.split('|').map(str::trim).collect();
            format!("{} / {}", row.get(cells[0]).unwrap_or(&"-"), row.get(cells[1]).unwrap_or(&"-"))
        })
        .unwrap_or_else(|| "-".to_string())
}
