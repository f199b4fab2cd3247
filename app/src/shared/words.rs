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

/// "1 user", "5 users", "3,127 users".
pub fn count_of(n: u64, singular: &str, plural: &str) -> String {
    if n == 1 {
        format!("1 {singular}")
    } else {
        format!("{} {plural}", number(n))
    }
}

/// A number as people read it, its thousands set apart: "3,127", "10,000".
pub fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_lists_read_as_english() {
        assert_eq!(count_of(1, "user", "users"), "1 user");
        assert_eq!(count_of(0, "user", "users"), "0 users");
        assert_eq!(count_of(3127, "user", "users"), "3,127 users");
        assert_eq!(
            [number(999), number(1000), number(10_000), number(1_234_567)],
            ["999", "1,000", "10,000", "1,234,567"]
        );
        assert_eq!(join_and(vec![]), "");
        assert_eq!(join_and(vec!["a".into()]), "a");
        assert_eq!(join_and(vec!["a".into(), "b".into(), "c".into()]), "a, b and c");
    }
}
