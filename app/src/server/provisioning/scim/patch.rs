//! PATCH (RFC 7644 §3.5.2) applied to a User as JSON: each operation adds, replaces or removes an
//! attribute named by its `path` (parsed by the `scim_v2` crate's grammar), or, without a path, the
//! attributes of its value object; the result is then saved as a whole, like a PUT, so that one set of
//! rules decides what a change does. The forms identity providers send are all read: `op` in any
//! letter case (Entra's "Replace"), dotted keys in a path-less value (Entra's
//! `{"name.givenName": "Ann"}`), a schema's URN before an attribute, value paths on `emails`.
//! Attributes Switchboard does not keep (an enterprise `department`, a `phoneNumbers` entry) are
//! ignored, as they are on create.

use super::error::{ScimError, ScimType};
use super::resource::{attribute, PATCH_SCHEMA, PBX_SCHEMA, USER_SCHEMA};
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::{json, Map, Value};

/// Operations per request: a user has fewer attributes than this.
pub const MAX_OPERATIONS: usize = 100;
const MAX_PATH_LEN: usize = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// `resource` with the PatchOp `body`'s operations applied, in order.
pub fn apply(mut resource: Value, body: &Value) -> Result<Value, ScimError> {
    let Value::Object(body) = body else { return Err(syntax("A PATCH body must be a JSON object.")) };
    let schemas = attribute(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|schemas| schemas.iter().any(|schema| schema.as_str() == Some(PATCH_SCHEMA))) {
        return Err(syntax(format!("A PATCH body's schemas must be [\"{PATCH_SCHEMA}\"].")));
    }
    let Some(Value::Array(operations)) = attribute(body, "Operations") else {
        return Err(syntax("A PATCH body needs Operations: a list of operations."));
    };
    if operations.is_empty() || operations.len() > MAX_OPERATIONS {
        return Err(syntax(format!("Send between 1 and {MAX_OPERATIONS} operations.")));
    }
    for operation in operations {
        let Value::Object(operation) = operation else { return Err(syntax("Each operation must be an object.")) };
        let op = match attribute(operation, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => return Err(syntax("Each operation's op must be add, replace or remove.")),
        };
        let value = attribute(operation, "value");
        match attribute(operation, "path") {
            Some(Value::String(path)) => at_path(&mut resource, op, path, value)?,
            Some(_) => return Err(ScimError::bad(ScimType::InvalidPath, "path must be a string.")),
            None if op == Op::Remove => {
                return Err(ScimError::bad(ScimType::NoTarget, "A remove operation needs a path."));
            }
            None => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::bad(
                        ScimType::InvalidValue,
                        "An operation without a path needs an object value.",
                    ));
                };
                for (key, value) in values {
                    match (known_schema(key), value) {
                        // `{"urn:…:User": {"extension": "201"}}`: the attributes of that schema.
                        (Some(schema), Value::Object(inner)) => {
                            for (name, value) in inner {
                                at_path(&mut resource, op, &format!("{schema}:{name}"), Some(value))?;
                            }
                        }
                        _ => at_path(&mut resource, op, key, Some(value))?,
                    }
                }
            }
        }
    }
    Ok(resource)
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidSyntax, detail)
}

fn known_schema(key: &str) -> Option<&'static str> {
    [USER_SCHEMA, PBX_SCHEMA].into_iter().find(|schema| schema.eq_ignore_ascii_case(key))
}

/// What a path names, among the attributes kept.
enum Target {
    /// A core attribute, or one of its sub-attributes.
    Core { name: &'static str, sub: Option<&'static str> },
    /// The work address (`emails[…]`), or one of its sub-attributes, if the filter matches it.
    Email { filter: ValFilter, sub: Option<String> },
    /// Switchboard's extension object as a whole: its one attribute is read-only, so only whether the
    /// object is there changes (and with it, whether the answer carries it).
    ExtensionObject,
    /// An attribute Switchboard does not keep.
    Ignored,
}

fn target(path: &str) -> Result<Target, ScimError> {
    if path.chars().count() > MAX_PATH_LEN {
        return Err(ScimError::bad(ScimType::InvalidPath, format!("A path has at most {MAX_PATH_LEN} characters.")));
    }
    if known_schema(path) == Some(PBX_SCHEMA) {
        return Ok(Target::ExtensionObject);
    }
    let parsed: PatchPath = path.parse().map_err(|_| {
        ScimError::bad(ScimType::InvalidPath, format!("The path {:?} could not be read.", shorten(path)))
    })?;
    Ok(match parsed {
        PatchPath::Attr(attr) => match schema_of(&attr) {
            Some(USER_SCHEMA) => core(&attr),
            _ => Target::Ignored,
        },
        PatchPath::Value(value_path) if schema_of(&value_path.attr) == Some(USER_SCHEMA) => {
            if value_path.attr.name.eq_ignore_ascii_case("emails") && value_path.attr.sub_attr.is_none() {
                Target::Email { filter: value_path.filter, sub: value_path.sub_attr }
            } else {
                Target::Ignored
            }
        }
        PatchPath::Value(_) => Target::Ignored,
    })
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

/// The schema an attribute path is in: the core User's without a URN.
fn schema_of(attr: &AttrPath) -> Option<&'static str> {
    match &attr.uri {
        None => Some(USER_SCHEMA),
        Some(uri) => known_schema(uri),
    }
}

fn core(attr: &AttrPath) -> Target {
    const NAMES: [&str; 8] = ["userName", "externalId", "displayName", "active", "name", "emails", "id", "meta"];
    const SUBS: [&str; 5] = ["givenName", "familyName", "formatted", "value", "type"];
    let Some(name) = NAMES.into_iter().find(|name| name.eq_ignore_ascii_case(&attr.name)) else {
        return Target::Ignored;
    };
    match &attr.sub_attr {
        None => Target::Core { name, sub: None },
        Some(sub) => match SUBS.into_iter().find(|known| known.eq_ignore_ascii_case(sub)) {
            Some(sub) => Target::Core { name, sub: Some(sub) },
            None => Target::Ignored,
        },
    }
}

fn object(resource: &mut Value) -> &mut Map<String, Value> {
    if !resource.is_object() {
        *resource = json!({});
    }
    resource.as_object_mut().expect("made an object above")
}

fn at_path(resource: &mut Value, op: Op, path: &str, value: Option<&Value>) -> Result<(), ScimError> {
    let needs_value = || {
        value.cloned().ok_or_else(|| {
            ScimError::bad(ScimType::InvalidValue, format!("An {op:?} of {path} needs a value.").to_lowercase())
        })
    };
    let root = object(resource);
    match target(path)? {
        Target::Ignored => {}
        Target::ExtensionObject => match op {
            Op::Remove => {
                root.remove(PBX_SCHEMA);
            }
            Op::Add | Op::Replace => {
                root.entry(PBX_SCHEMA).or_insert_with(|| json!({}));
            }
        },
        Target::Core { name: "id" | "meta", .. } => {
            return Err(ScimError::bad(ScimType::Mutability, format!("{path} is read-only.")));
        }
        Target::Core { name: "emails", sub } => {
            set_email(root, op, sub.map(str::to_string), None, value, path)?;
        }
        Target::Email { filter, sub } => {
            set_email(root, op, sub, Some(&filter), value, path)?;
        }
        Target::Core { name, sub: Some(sub) } => {
            let parent = object(root.entry(name).or_insert_with(|| json!({})));
            match op {
                Op::Remove => parent.remove(sub),
                Op::Add | Op::Replace => parent.insert(sub.to_string(), needs_value()?),
            };
        }
        Target::Core { name, sub: None } => match (op, name) {
            (Op::Remove, _) => {
                root.remove(name);
            }
            // `name` as a whole: its sub-attributes are merged (add) or replaced.
            (Op::Add, "name") => {
                let given = needs_value()?;
                let Value::Object(given) = given else {
                    return Err(ScimError::bad(ScimType::InvalidValue, "name must be an object."));
                };
                let parent = object(root.entry("name").or_insert_with(|| json!({})));
                parent.extend(given);
            }
            _ => {
                root.insert(name.to_string(), needs_value()?);
            }
        },
    }
    Ok(())
}

/// A change to the one address kept, through `emails`, `emails.value` or `emails[filter].sub`.
fn set_email(
    root: &mut Map<String, Value>,
    op: Op,
    sub: Option<String>,
    filter: Option<&ValFilter>,
    value: Option<&Value>,
    path: &str,
) -> Result<(), ScimError> {
    let current = root.get("emails").and_then(Value::as_array).and_then(|emails| emails.first()).cloned();
    let address = current.as_ref().and_then(|email| email.get("value")).and_then(Value::as_str).map(str::to_string);
    // A filter on a value path selects the address if it matches; with no address yet, an add or
    // replace through a filter on the type makes one.
    let selected = match (filter, &address) {
        (None, _) => true,
        (Some(filter), Some(address)) => email_matches(filter, address)?,
        (Some(filter), None) => op != Op::Remove && email_matches(filter, "")?,
    };
    if !selected {
        return match op {
            Op::Remove => Ok(()),
            _ => Err(ScimError::bad(ScimType::NoTarget, format!("{path} matches no address."))),
        };
    }
    let sub = sub.map(|sub| sub.to_ascii_lowercase());
    match (op, sub.as_deref()) {
        (Op::Remove, None | Some("value")) => {
            root.remove("emails");
        }
        (Op::Remove, Some(_)) => {}
        (_, None) => {
            let Some(value) = value else {
                return Err(ScimError::bad(ScimType::InvalidValue, format!("A change of {path} needs a value.")));
            };
            let emails = match value {
                Value::Array(_) => value.clone(),
                single => json!([single]),
            };
            root.insert("emails".into(), emails);
        }
        (_, Some("value")) => {
            let Some(value) = value else {
                return Err(ScimError::bad(ScimType::InvalidValue, format!("A change of {path} needs a value.")));
            };
            root.insert("emails".into(), json!([{ "value": value, "type": "work" }]));
        }
        // `type` and `primary` of the one work address: nothing to change.
        (_, Some(_)) => {}
    }
    Ok(())
}

/// Whether the filter of `emails[…]` selects the work address `address` ("" when there is none yet).
fn email_matches(filter: &ValFilter, address: &str) -> Result<bool, ScimError> {
    Ok(match filter {
        ValFilter::Attr(AttrExp::Present(path)) => path.name.eq_ignore_ascii_case("type") || !address.is_empty(),
        ValFilter::Attr(AttrExp::Comparison(path, op, CompValue::Str(value))) => {
            let actual = match path.name.to_ascii_lowercase().as_str() {
                "type" => "work".to_string(),
                "value" => address.to_string(),
                _ => return Ok(false),
            };
            let (actual, value) = (actual.to_lowercase(), value.to_lowercase());
            match op {
                CompareOp::Eq => actual == value,
                CompareOp::Ne => actual != value,
                CompareOp::Co => actual.contains(&value),
                CompareOp::Sw => actual.starts_with(&value),
                CompareOp::Ew => actual.ends_with(&value),
                _ => false,
            }
        }
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::True)) => {
            path.name.eq_ignore_ascii_case("primary")
        }
        ValFilter::Attr(_) => false,
        ValFilter::Not(inner) => !email_matches(inner, address)?,
        ValFilter::And(items) => items
            .as_slice()
            .iter()
            .map(|item| email_matches(item, address))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .all(|x| x),
        ValFilter::Or(items) => items
            .as_slice()
            .iter()
            .map(|item| email_matches(item, address))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .any(|x| x),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Value {
        json!({
            "schemas": [USER_SCHEMA, PBX_SCHEMA],
            "id": "7",
            "userName": "ann@acme.example",
            "name": { "givenName": "Ann", "familyName": "Lee" },
            "emails": [{ "value": "ann@acme.example", "type": "work", "primary": true }],
            "active": true,
            PBX_SCHEMA: { "extension": "201" },
        })
    }

    fn patch(operations: Value) -> Result<Value, ScimError> {
        apply(ann(), &json!({ "schemas": [PATCH_SCHEMA], "Operations": operations }))
    }

    #[test]
    fn oktas_pathless_deactivation_and_entras_string_one_with_a_capital_op() {
        assert_eq!(patch(json!([{ "op": "replace", "value": { "active": false } }])).unwrap()["active"], false);
        assert_eq!(patch(json!([{ "op": "Replace", "path": "active", "value": "False" }])).unwrap()["active"], "False");
    }

    #[test]
    fn entras_paths_and_dotted_keys_reach_the_attributes() {
        let patched = patch(json!([
            { "op": "Replace", "path": "name.familyName", "value": "Smith" },
            { "op": "replace", "value": { "name.givenName": "Annie", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales" } },
            { "op": "Replace", "path": "emails[type eq \"work\"].value", "value": "annie@acme.example" },
            { "op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales" },
            { "op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100" },
        ]))
        .unwrap();
        assert_eq!(patched["name"], json!({ "givenName": "Annie", "familyName": "Smith" }));
        assert_eq!(patched["emails"][0]["value"], "annie@acme.example");
        assert!(patched.get("phoneNumbers").is_none());
    }

    #[test]
    fn removing_the_work_address_and_read_only_and_malformed_operations() {
        let patched = patch(json!([{ "op": "remove", "path": "emails[type eq \"work\"]" }])).unwrap();
        assert!(patched.get("emails").is_none());
        for (operations, scim_type) in [
            (json!([{ "op": "replace", "path": "id", "value": "8" }]), ScimType::Mutability),
            (json!([{ "op": "remove" }]), ScimType::NoTarget),
            (json!([{ "op": "move", "path": "userName" }]), ScimType::InvalidSyntax),
            (json!([{ "op": "replace", "path": "emails[type eq", "value": "x" }]), ScimType::InvalidPath),
            (json!([]), ScimType::InvalidSyntax),
        ] {
            assert_eq!(patch(operations.clone()).unwrap_err().scim_type, Some(scim_type), "{operations}");
        }
    }
}
