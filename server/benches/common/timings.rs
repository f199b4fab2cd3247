//! Reading a bench's list of timings: the time at a share of them.

use std::time::Duration;

/// The time below which `share` of `times` fall (sorting them): 0.5 is the median, 0.95 the p95.
pub fn at(times: &mut [Duration], share: f64) -> Duration {
    times.sort();
    times[((times.len() as f64 * share).ceil() as usize).clamp(1, times.len()) - 1]
}
