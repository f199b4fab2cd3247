//! Counting and listing in English, for the sentences the confirmations and messages are made of.

/// "a", "a and b", "a, b and c".
pub fn join_and(mut parts: Vec<String>) -> String {
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} and {last}", parts.join(", "))
        }
    }
}

/// "1 user", "5 users".
pub fn count_of(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{n} {plural}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_lists_read_as_english() {
        assert_eq!(count_of(1, "user", "users"), "1 user");
        assert_eq!(count_of(0, "user", "users"), "0 users");
        assert_eq!(join_and(vec![]), "");
        assert_eq!(join_and(vec!["a".into()]), "a");
        assert_eq!(join_and(vec!["a".into(), "b".into(), "c".into()]), "a, b and c");
    }
}
