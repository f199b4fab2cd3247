//! What a bench is told through its environment (BENCH_USERS, LOAD_SECS …), with its default.

/// The value of the environment variable `name`, or `default` if it is unset or unreadable.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}
