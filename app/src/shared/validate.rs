//! The rules for the fields people type, shared by the browser (which checks a form before sending it)
//! and the server (which checks again, as it must: a request need not come from our form).

use crate::shared::error::AppError;

pub const MIN_PASSWORD_LEN: usize = 10;
/// Long passphrases are welcome; this only bounds the work a request can ask of the password hash.
pub const MAX_PASSWORD_LEN: usize = 256;
/// A login is `extension@domain` or an email address, and no email address is longer.
pub const MAX_LOGIN_LEN: usize = 254;
pub const PIN_LEN: std::ops::RangeInclusive<usize> = 4..=10;
/// Names are short labels in a phone directory.
pub const MAX_NAME_LEN: usize = 100;

pub fn validate_extension(extension: &str) -> Result<(), AppError> {
    if (2..=10).contains(&extension.len()) && extension.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(AppError::invalid("extension", format!("'{extension}' is not a valid extension: use 2 to 10 digits.")))
    }
}

/// A deliberately plain check: one @, something before it, a dot in the part after it, no spaces; and,
/// as for names, no control characters or text-direction marks (an address is shown in lists and
/// emails, and one could make the text around it read otherwise). A refused address is repeated in the
/// message only once it is known to be short and plain.
pub fn validate_email(email: &str) -> Result<(), AppError> {
    let refuse = |message: String| Err(AppError::invalid("email", message));
    if email.chars().count() > MAX_LOGIN_LEN {
        return refuse(format!("An email address has at most {MAX_LOGIN_LEN} characters."));
    }
    if email.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return refuse("An email address must not contain control characters or text-direction marks.".into());
    }
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
    if valid {
        Ok(())
    } else {
        refuse(format!("'{email}' is not a valid email address."))
    }
}

/// Names end up in phone directories, CSV files and emails: no control characters, and none of the
/// invisible marks that reverse the direction of the text around them (a name could otherwise make an
/// extension or an address read as another).
pub fn validate_name(field: &str, label: &str, value: &str) -> Result<(), AppError> {
    if value.trim().is_empty() {
        Err(AppError::invalid(field, format!("{label} is required.")))
    } else if value.chars().count() > MAX_NAME_LEN {
        Err(AppError::invalid(field, format!("{label} must be at most {MAX_NAME_LEN} characters.")))
    } else if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        Err(AppError::invalid(field, format!("{label} must not contain control characters or text-direction marks.")))
    } else {
        Ok(())
    }
}

/// The Unicode marks that embed, override or isolate a run of text in another direction.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// What is wrong with `password` as the new password of the user `login` at `extension`, one message
/// per broken rule (empty: it may be used). The list of common passwords is only on the server
/// (`server::first_sign_in`), which checks it as well.
pub fn password_problems(password: &str, login: &str, extension: &str) -> Vec<String> {
    let typed = password.trim().to_lowercase();
    let mut problems = Vec::new();
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        problems.push(format!("The password must be at least {MIN_PASSWORD_LEN} characters."));
    }
    if length > MAX_PASSWORD_LEN {
        problems.push(format!("The password must be at most {MAX_PASSWORD_LEN} characters."));
    }
    if typed == login.to_lowercase() {
        problems.push("The password must not be your login.".to_string());
    }
    if typed == extension {
        problems.push("The password must not be your extension.".to_string());
    }
    problems
}

/// The confirmation must repeat the password exactly.
pub fn confirmation_problems(password: &str, confirmation: &str) -> Vec<String> {
    if password == confirmation {
        Vec::new()
    } else {
        vec!["The passwords do not match.".to_string()]
    }
}

/// What is wrong with `pin` as the voicemail PIN of `extension`, one message per broken rule.
pub fn pin_problems(pin: &str, extension: &str) -> Vec<String> {
    let (min, max) = (PIN_LEN.start(), PIN_LEN.end());
    if pin.is_empty() || !pin.chars().all(|c| c.is_ascii_digit()) {
        return vec![format!("The voicemail PIN must be {min} to {max} digits, and digits only.")];
    }
    let digits: Vec<i8> = pin.bytes().map(|b| (b - b'0') as i8).collect();
    let mut problems = Vec::new();
    if !PIN_LEN.contains(&digits.len()) {
        problems.push(format!("The voicemail PIN must be {min} to {max} digits."));
    }
    if digits.windows(2).all(|pair| pair[0] == pair[1]) {
        problems.push("The voicemail PIN must not be one digit repeated, like 1111.".to_string());
    } else if is_run(&digits) {
        problems.push("The voicemail PIN must not be a run of digits, like 1234 or 4321.".to_string());
    }
    if pin == extension {
        problems.push("The voicemail PIN must not be your extension.".to_string());
    }
    problems
}

/// Digits that go up or down by one each step, as on the keypad (where 0 follows 9): 1234, 7890, 3210.
fn is_run(digits: &[i8]) -> bool {
    let steps: Vec<i8> = digits.windows(2).map(|pair| (pair[1] - pair[0]).rem_euclid(10)).collect();
    steps.iter().all(|&step| step == 1) || steps.iter().all(|&step| step == 9)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_invalid(result: Result<(), AppError>, wanted: &str) -> bool {
        matches!(result, Err(error) if error.is_at(wanted))
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
    fn emails_refuse_control_characters_and_text_direction_marks_without_repeating_them() {
        for sneaky in [
            "ann\u{202E}moc.evil@acme.example",
            "ann\u{2066}@acme.example",
            "ann\u{1b}[2J@acme.example",
            "ann\u{0}@a.example",
        ] {
            assert_eq!(
                validate_email(sneaky),
                Err(AppError::invalid(
                    "email",
                    "An email address must not contain control characters or text-direction marks."
                )),
                "{sneaky:?}"
            );
        }
        let long = format!("{}@acme.example", "a".repeat(300));
        assert_eq!(
            validate_email(&long),
            Err(AppError::invalid("email", "An email address has at most 254 characters."))
        );
    }

    #[test]
    fn each_password_rule_has_its_own_message() {
        let login = "201@acme.example";
        assert!(password_problems("a long passphrase", login, "201").is_empty());
        assert_eq!(password_problems("short", login, "201"), ["The password must be at least 10 characters."]);
        assert_eq!(password_problems("201@ACME.example", login, "201"), ["The password must not be your login."]);
        assert_eq!(password_problems("1234567890", login, "1234567890"), ["The password must not be your extension."]);
        assert_eq!(
            password_problems("201", login, "201"),
            ["The password must be at least 10 characters.", "The password must not be your extension."]
        );
        assert_eq!(
            password_problems(&"long ".repeat(52), login, "201"),
            ["The password must be at most 256 characters."]
        );
        assert!(confirmation_problems("a long passphrase", "a long passphrase").is_empty());
        assert_eq!(confirmation_problems("a long passphrase", "a long passphrasE"), ["The passwords do not match."]);
    }

    #[test]
    fn each_pin_rule_has_its_own_message() {
        for good in ["2580", "1357", "9024", "8675309", "1029384756"] {
            assert!(pin_problems(good, "201").is_empty(), "{good}");
        }
        let one = |pin: &str| pin_problems(pin, "2014");
        assert_eq!(one("12a4"), ["The voicemail PIN must be 4 to 10 digits, and digits only."]);
        assert_eq!(one(""), ["The voicemail PIN must be 4 to 10 digits, and digits only."]);
        assert_eq!(one("258"), ["The voicemail PIN must be 4 to 10 digits."]);
        assert_eq!(one("25802580258"), ["The voicemail PIN must be 4 to 10 digits."]);
        assert_eq!(one("7777"), ["The voicemail PIN must not be one digit repeated, like 1111."]);
        for run in ["1234", "4321", "7890", "0987", "3456789"] {
            assert_eq!(one(run), ["The voicemail PIN must not be a run of digits, like 1234 or 4321."], "{run}");
        }
        assert_eq!(one("2014"), ["The voicemail PIN must not be your extension."]);
        assert_eq!(
            pin_problems("111", "111"),
            [
                "The voicemail PIN must be 4 to 10 digits.",
                "The voicemail PIN must not be one digit repeated, like 1111.",
                "The voicemail PIN must not be your extension."
            ]
        );
    }

    #[test]
    fn names_are_required_and_bounded() {
        assert!(validate_name("first_name", "First Name", "Ann").is_ok());
        assert_eq!(
            validate_name("first_name", "First Name", "  "),
            Err(AppError::invalid("first_name", "First Name is required."))
        );
        assert!(is_invalid(validate_name("last_name", "Last Name", &"x".repeat(MAX_NAME_LEN + 1)), "last_name"));
        assert!(validate_name("first_name", "First Name", "Zoë Ünal-שרה").is_ok());
        for sneaky in ["Ann\u{202E}fdp.exe", "Ann\tLee", "Ann\u{2066}Lee", "Ann\nLee", "Ann\u{0000}"] {
            assert_eq!(
                validate_name("first_name", "First Name", sneaky),
                Err(AppError::invalid(
                    "first_name",
                    "First Name must not contain control characters or text-direction marks."
                )),
                "{sneaky:?}"
            );
        }
    }
}
