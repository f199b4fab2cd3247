//! A person as the identity provider describes them: what a SCIM User says that Switchboard keeps,
//! checked by the same rules as the Recycle Users form before anything is written.

use crate::shared::error::{AppError, FieldError};
use crate::shared::validate::{is_bidi_control, validate_email, validate_extension, validate_name};

/// The longest `userName`, `externalId` or `displayName` kept.
pub const MAX_TEXT_LEN: usize = 255;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub display_name: Option<String>,
    /// Lower case: addresses compare without case.
    pub email: Option<String>,
    pub active: bool,
    /// The extension asked for (on create or reactivation): given if free.
    pub extension: Option<String>,
    /// Whether the resource carries Switchboard's extension object (`scim_user::Model::keeps_pbx_schema`).
    pub pbx_schema: bool,
}

impl Person {
    /// `user_name` as user names are compared: without case.
    pub fn user_name_key(&self) -> String {
        self.user_name.to_lowercase()
    }

    /// Every problem, each at the SCIM attribute it is about; `Ok` when the person may be saved.
    pub fn check(&self) -> Result<(), AppError> {
        fn at(field: &str, result: Result<(), AppError>) -> Vec<FieldError> {
            let problems = result.err().map(|err| err.field_errors().to_vec()).unwrap_or_default();
            problems
                .into_iter()
                .map(|problem| FieldError { field: field.to_string(), message: problem.message })
                .collect()
        }
        let mut problems: Vec<FieldError> = Vec::new();
        problems.extend(at("userName", plain_text("userName", &self.user_name, true)));
        if let Some(external_id) = &self.external_id {
            problems.extend(at("externalId", plain_text("externalId", external_id, false)));
        }
        problems.extend(at("name.givenName", validate_name("name.givenName", "name.givenName", &self.given_name)));
        problems.extend(at("name.familyName", validate_name("name.familyName", "name.familyName", &self.family_name)));
        if let Some(display_name) = &self.display_name {
            problems.extend(at("displayName", plain_text("displayName", display_name, false)));
        }
        if let Some(email) = &self.email {
            problems.extend(at("emails", validate_email(email)));
        }
        if let Some(extension) = &self.extension {
            problems.extend(at("extension", validate_extension(extension)));
        }
        AppError::unless_any(problems)
    }
}

/// A short, single-line text: at most `MAX_TEXT_LEN` characters, no control characters or
/// text-direction marks (it is shown in lists and logs), and not blank if `required`.
fn plain_text(name: &str, value: &str, required: bool) -> Result<(), AppError> {
    if required && value.trim().is_empty() {
        return Err(AppError::invalid(name, format!("{name} is required.")));
    }
    if value.chars().count() > MAX_TEXT_LEN {
        return Err(AppError::invalid(name, format!("{name} must be at most {MAX_TEXT_LEN} characters.")));
    }
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(AppError::invalid(
            name,
            format!("{name} must not contain control characters or text-direction marks."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Person {
        Person {
            user_name: "Ann@Acme.example".into(),
            external_id: Some("00u1".into()),
            given_name: "Ann".into(),
            family_name: "Lee".into(),
            display_name: None,
            email: Some("ann@acme.example".into()),
            active: true,
            extension: None,
            pbx_schema: false,
        }
    }

    #[test]
    fn a_plain_person_passes_and_user_names_compare_without_case() {
        assert!(ann().check().is_ok());
        assert_eq!(ann().user_name_key(), "ann@acme.example");
    }

    #[test]
    fn each_problem_is_named_at_its_attribute() {
        let bad = Person {
            user_name: " ".into(),
            given_name: "An\u{202e}n".into(),
            email: Some("not an address".into()),
            extension: Some("12a".into()),
            ..ann()
        };
        let error = bad.check().unwrap_err();
        let fields: Vec<&str> = error.field_errors().iter().map(|problem| problem.field.as_str()).collect();
        assert_eq!(fields, ["userName", "name.givenName", "emails", "extension"]);
    }
}
