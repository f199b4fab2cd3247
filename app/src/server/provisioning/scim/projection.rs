//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which attributes of a resource an answer
//! carries. `id` and `schemas` are always returned; Switchboard's extension (the extension held) only
//! when asked for, as its schema says (`returned: request`).

use super::error::{ScimError, ScimType};
use super::resource::{PBX_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value};

/// The most attribute names a request may list.
const MAX_NAMES: usize = 50;

/// The attributes a request asks for, or asks to leave out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Projection {
    only: Vec<Vec<String>>,
    without: Vec<Vec<String>>,
}

impl Projection {
    /// From the lists of names a request gave (comma-separated in a query, a list in a search's body).
    pub fn new<'a>(
        attributes: impl IntoIterator<Item = &'a str>,
        excluded: impl IntoIterator<Item = &'a str>,
    ) -> Result<Projection, ScimError> {
        let paths = |names: &mut dyn Iterator<Item = &'a str>| -> Result<Vec<Vec<String>>, ScimError> {
            let paths: Vec<Vec<String>> =
                names.map(str::trim).filter(|name| !name.is_empty()).take(MAX_NAMES + 1).map(path).collect();
            if paths.len() > MAX_NAMES {
                return Err(ScimError::bad(ScimType::InvalidValue, format!("List at most {MAX_NAMES} attributes.")));
            }
            Ok(paths)
        };
        Ok(Projection { only: paths(&mut attributes.into_iter())?, without: paths(&mut excluded.into_iter())? })
    }

    /// Whether the extension held is asked for: it is returned only then.
    pub fn asks_for_extension(&self) -> bool {
        self.only.iter().any(|path| path.first().is_some_and(|first| first.eq_ignore_ascii_case(PBX_SCHEMA)))
    }

    /// `resource` with only the attributes asked for.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut object) = resource else { return resource };
        if !self.only.is_empty() {
            let mut kept = Map::new();
            for always in ["schemas", "id"] {
                if let Some(value) = object.get(always) {
                    kept.insert(always.to_string(), value.clone());
                }
            }
            for path in &self.only {
                copy(&object, &mut kept, path);
            }
            object = kept;
        }
        for path in &self.without {
            if !matches!(path.first().map(String::as_str), Some("id" | "schemas")) {
                remove(&mut object, path);
            }
        }
        Value::Object(object)
    }
}

/// An attribute name as keys into the resource: `name.givenName` → [name, givenName]; a schema's URN
/// before it names the extension's object (or nothing, for the core schema's).
fn path(name: &str) -> Vec<String> {
    let (mut keys, rest) = if let Some(rest) = strip_prefix(name, PBX_SCHEMA) {
        (vec![PBX_SCHEMA.to_string()], rest)
    } else if let Some(rest) = strip_prefix(name, USER_SCHEMA) {
        (Vec::new(), rest)
    } else {
        (Vec::new(), name)
    };
    keys.extend(rest.split('.').filter(|part| !part.is_empty()).map(str::to_string));
    keys
}

fn strip_prefix<'a>(name: &'a str, schema: &str) -> Option<&'a str> {
    let head = name.get(..schema.len())?;
    head.eq_ignore_ascii_case(schema).then(|| name[schema.len()..].trim_start_matches(':'))
}

fn key<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|key| key.eq_ignore_ascii_case(name))
}

fn copy(from: &Map<String, Value>, to: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else { return };
    let Some(name) = key(from, first) else { return };
    let value = &from[name];
    match (rest.is_empty(), value) {
        (true, _) => {
            to.insert(name.clone(), value.clone());
        }
        (false, Value::Object(inner)) => {
            let entry = to.entry(name.clone()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(target) = entry {
                copy(inner, target, rest);
            }
        }
        // A sub-attribute of each value of a multi-valued attribute (`emails.value`).
        (false, Value::Array(values)) => {
            let picked: Vec<Value> = values
                .iter()
                .filter_map(Value::as_object)
                .map(|inner| {
                    let mut target = Map::new();
                    copy(inner, &mut target, rest);
                    Value::Object(target)
                })
                .collect();
            to.insert(name.clone(), Value::Array(picked));
        }
        _ => {}
    }
}

fn remove(object: &mut Map<String, Value>, path: &[String]) {
    let Some((first, rest)) = path.split_first() else { return };
    let Some(name) = key(object, first).cloned() else { return };
    if rest.is_empty() {
        object.remove(&name);
        return;
    }
    match object.get_mut(&name) {
        Some(Value::Object(inner)) => remove(inner, rest),
        Some(Value::Array(values)) => {
            for value in values.iter_mut().filter_map(Value::as_object_mut) {
                remove(value, rest);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ann() -> Value {
        json!({
            "schemas": [USER_SCHEMA],
            "id": "7",
            "userName": "ann@acme.example",
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "value": "ann@acme.example", "type": "work" }],
            PBX_SCHEMA: { "extension": "201" },
        })
    }

    #[test]
    fn only_the_attributes_asked_for_and_always_the_id() {
        let projection =
            Projection::new(["userName", "name.familyName", &format!("{PBX_SCHEMA}:extension")], []).unwrap();
        assert_eq!(
            projection.apply(ann()),
            json!({
                "schemas": [USER_SCHEMA], "id": "7", "userName": "ann@acme.example",
                "name": { "familyName": "Lee" }, PBX_SCHEMA: { "extension": "201" },
            })
        );
    }

    #[test]
    fn the_extension_held_is_asked_for_by_its_schemas_urn() {
        assert!(!Projection::default().asks_for_extension());
        assert!(Projection::new([format!("{PBX_SCHEMA}:extension").as_str()], []).unwrap().asks_for_extension());
        assert!(Projection::new([PBX_SCHEMA], []).unwrap().asks_for_extension());
    }

    #[test]
    fn excluded_attributes_go_but_never_the_id() {
        let projection = Projection::new([], ["emails.type", "NAME", "id"]).unwrap();
        let answer = projection.apply(ann());
        assert_eq!(answer["emails"], json!([{ "value": "ann@acme.example" }]));
        assert!(answer.get("name").is_none());
        assert_eq!(answer["id"], "7");
        assert!(Projection::new((0..51).map(|_| "userName"), []).is_err());
    }
}
