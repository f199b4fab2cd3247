//! The rules for the fields people type, shared by the browser (which checks a form before sending it)
//! and the server (which checks again, as it must: a request need not come from our form).

use crate::error::AppError;

pub const MIN_PASSWORD_LEN: usize = 10;
/// Names are short labels in a phone directory.
pub const MAX_NAME_LEN: usize = 100;

pub fn validate_extension(extension: &str) -> Result<(), AppError> {
    if (2..=10).contains(&extension.len()) && extension.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::invalid("extension", format!("'{extension}' is not a valid extension: use 2 to 10 digits.")))
    }
}

/// A deliberately plain check: one @, something before it, a dot in the part after it, no spaces.
pub fn validate_email(email: &str) -> Result<(), AppError> {
    let valid = match email.split_once('@') {
        Some((local, host)) => {
            !local.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !email.contains(char::is_whitespace)
                && !host.contains('@')
        }
        None => false,
    };
    if valid && email.len() <= 254 {
        Ok(())
    } else {
        Err(AppError::invalid("email", format!("'{email}' is not a valid email address.")))
    }
}

pub fn validate_name(field: &str, label: &str, value: &str) -> Result<(), AppError> {
    if value.trim().is_empty() {
        Err(AppError::invalid(field, format!("{label} is required.")))
    } else if value.chars().count() > MAX_NAME_LEN {
        Err(AppError::invalid(field, format!("{label} must be at most {MAX_NAME_LEN} characters.")))
    } else {
        Ok(())
    }
}

pub fn validate_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        Err(AppError::invalid("password", format!("The password must be at least {MIN_PASSWORD_LEN} characters.")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_invalid(result: Result<(), AppError>, wanted: &str) -> bool {
        matches!(result, Err(AppError::Invalid { field, .. }) if field == wanted)
    }

    #[test]
    fn extensions_are_two_to_ten_digits() {
        for good in ["10", "201", "1234567890"] {
            assert!(validate_extension(good).is_ok(), "{good}");
        }
        for bad in ["1", "12345678901", "20a", "", " 201"] {
            assert!(is_invalid(validate_extension(bad), "extension"), "{bad:?}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_host() {
        assert!(validate_email("ann.lee@acme.example").is_ok());
        for bad in ["ann", "@acme.example", "ann@acme", "ann@.acme", "ann lee@acme.example", "a@b@c.example"] {
            assert!(validate_email(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn short_passwords_are_refused_with_the_rule() {
        assert_eq!(
            validate_password("short"),
            Err(AppError::invalid("password", "The password must be at least 10 characters."))
        );
        assert!(validate_password("long enough!").is_ok());
    }

    #[test]
    fn names_are_required_and_bounded() {
        assert!(validate_name("first_name", "First Name", "Ann").is_ok());
        assert_eq!(
            validate_name("first_name", "First Name", "  "),
            Err(AppError::invalid("first_name", "First Name is required."))
        );
        assert!(is_invalid(validate_name("last_name", "Last Name", &"x".repeat(MAX_NAME_LEN + 1)), "last_name"));
    }
}
