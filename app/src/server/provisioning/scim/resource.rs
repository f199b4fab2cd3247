//! A SCIM User as JSON: read into a `Person` (only the attributes Switchboard keeps; others are
//! ignored, as RFC 7644 lets a service provider do, but a kept attribute of the wrong type is refused),
//! and a person written back as the identity provider expects to read them.

use super::error::{ScimError, ScimType};
use crate::server::entities::{scim_user, user};
use crate::server::provisioning::person::Person;
use serde_json::{json, Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Switchboard's own extension of the User: the extension (phone number) held.
pub const PBX_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:switchboard:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// One of the attributes of `object`, named without regard to case (RFC 7643 §2.1).
pub fn attribute<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value).filter(|v| !v.is_null())
}

fn wrong_type(name: &str, kind: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, format!("{name} must be {kind}."))
}

fn text(object: &Map<String, Value>, name: &str, shown: &str) -> Result<Option<String>, ScimError> {
    match attribute(object, name) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.trim().to_string())),
        Some(_) => Err(wrong_type(shown, "a string")),
    }
}

/// A boolean as identity providers send one: JSON `true`/`false`, or Entra's strings "True"/"False".
pub fn boolean(value: &Value, shown: &str) -> Result<bool, ScimError> {
    match value {
        Value::Bool(flag) => Ok(*flag),
        Value::String(text) if text.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(text) if text.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(wrong_type(shown, "true or false")),
    }
}

/// The address of `emails`: the primary one, else the work one, else the first.
fn email(emails: &Value) -> Result<Option<String>, ScimError> {
    let Value::Array(emails) = emails else { return Err(wrong_type("emails", "a list of addresses")) };
    let mut addresses = Vec::new();
    for entry in emails {
        let Value::Object(entry) = entry else { return Err(wrong_type("emails", "a list of addresses")) };
        let Some(value) = text(entry, "value", "emails.value")? else { continue };
        let primary = attribute(entry, "primary").map(|flag| boolean(flag, "emails.primary")).transpose()?;
        let work = text(entry, "type", "emails.type")?.is_some_and(|kind| kind.eq_ignore_ascii_case("work"));
        addresses.push((primary == Some(true), work, value));
    }
    // Primary first, then work, then the order given.
    addresses.sort_by_key(|(primary, work, _)| (!primary, !work));
    Ok(addresses.into_iter().next().map(|(_, _, value)| value.to_lowercase()).filter(|value| !value.is_empty()))
}

/// The person a User resource describes. `userName` is required; a missing `active` means active.
pub fn person(resource: &Value) -> Result<Person, ScimError> {
    let Value::Object(object) = resource else {
        return Err(ScimError::bad(ScimType::InvalidSyntax, "A User must be a JSON object."));
    };
    let user_name = text(object, "userName", "userName")?
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, "userName is required."))?;
    let (given_name, family_name) = match attribute(object, "name") {
        None => (None, None),
        Some(Value::Object(name)) => {
            (text(name, "givenName", "name.givenName")?, text(name, "familyName", "name.familyName")?)
        }
        Some(_) => return Err(wrong_type("name", "an object")),
    };
    let (pbx_schema, extension) = match attribute(object, PBX_SCHEMA) {
        None => (false, None),
        Some(Value::Object(pbx)) => (true, text(pbx, "extension", "extension")?),
        Some(_) => return Err(wrong_type(PBX_SCHEMA, "an object")),
    };
    Ok(Person {
        user_name,
        external_id: text(object, "externalId", "externalId")?.filter(|id| !id.is_empty()),
        given_name: given_name.unwrap_or_default(),
        family_name: family_name.unwrap_or_default(),
        display_name: text(object, "displayName", "displayName")?.filter(|name| !name.is_empty()),
        email: attribute(object, "emails").map(email).transpose()?.flatten(),
        active: attribute(object, "active").map(|flag| boolean(flag, "active")).transpose()?.unwrap_or(true),
        extension: extension.filter(|extension| !extension.is_empty()),
        pbx_schema,
    })
}

/// The User resource of `person`, whose current holding of an extension is `held` (`None`: inactive);
/// `location` is its address. The extension held is there when `with_extension` (it is returned on
/// request); Switchboard's object holding it also when the identity provider left one on the person.
pub fn render(person: &scim_user::Model, held: Option<&user::Model>, location: &str, with_extension: bool) -> Value {
    let mut resource = json!({
        "schemas": [USER_SCHEMA, PBX_SCHEMA],
        "id": person.id.to_string(),
        "userName": person.user_name,
        "name": {
            "givenName": person.given_name,
            "familyName": person.family_name,
        },
        "active": held.is_some(),
        "meta": {
            "resourceType": "User",
            "created": person.created_at.to_rfc3339(),
            "lastModified": person.updated_at.to_rfc3339(),
            "location": location,
        },
    });
    if let Some(external_id) = &person.external_id {
        resource["externalId"] = external_id.as_str().into();
    }
    if let Some(display_name) = &person.display_name {
        resource["displayName"] = display_name.as_str().into();
    }
    if let Some(email) = &person.email {
        resource["emails"] = json!([{ "value": email, "type": "work" }]);
    }
    if with_extension || person.keeps_pbx_schema {
        resource[PBX_SCHEMA] = match held.filter(|_| with_extension) {
            Some(held) => json!({ "extension": held.extension }),
            None => json!({}),
        };
    }
    resource
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_okta_create_is_read_with_its_primary_work_address() {
        let body = json!({
            "schemas": [USER_SCHEMA],
            "userName": "ann@acme.example",
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "value": "Other@Acme.example", "type": "home" }, { "primary": true, "value": "Ann@Acme.example", "type": "work" }],
            "displayName": "Ann Lee",
            "externalId": "00u1",
            "active": true,
            "password": "ignored",
        });
        let person = person(&body).unwrap();
        assert_eq!(person.email.as_deref(), Some("ann@acme.example"));
        assert_eq!((person.given_name.as_str(), person.family_name.as_str()), ("Ann", "Lee"));
        assert!(person.active);
    }

    #[test]
    fn entra_string_booleans_and_any_letter_case_are_read() {
        let body = json!({ "USERNAME": "ann@acme.example", "Active": "False" });
        assert!(!person(&body).unwrap().active);
    }

    #[test]
    fn a_kept_attribute_of_the_wrong_type_is_refused_and_user_name_is_required() {
        for (body, detail) in [
            (json!({ "userName": 5 }), "userName must be a string."),
            (json!({ "userName": "a", "active": "maybe" }), "active must be true or false."),
            (json!({ "userName": "a", "emails": "a@b.example" }), "emails must be a list of addresses."),
            (json!({ "name": { "givenName": "Ann" } }), "userName is required."),
        ] {
            let error = person(&body).unwrap_err();
            assert_eq!(error.detail, detail);
            assert_eq!(error.status.as_u16(), 400);
        }
    }
}
