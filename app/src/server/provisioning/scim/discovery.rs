//! What the service provider says about itself (RFC 7644 §4): what it supports, its one resource type,
//! and the attributes it keeps (RFC 7643 §7). Only what really works is advertised: conformance tools
//! and identity providers write every attribute listed here.

use super::resource::{LIST_SCHEMA, PBX_SCHEMA, USER_SCHEMA};
use super::MAX_RESULTS;
use serde_json::{json, Value};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn service_provider_config(base: &str) -> Value {
    let unsupported = json!({ "supported": false });
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://github.com/switchboard-pbx/switchboard#connect-okta-or-entra-id",
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": unsupported,
        "sort": unsupported,
        "etag": unsupported,
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API token",
            "description": "A token made on the domain's Provisioning page, sent as \"Authorization: Bearer <token>\".",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    })
}

fn user_type(base: &str) -> Value {
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "A holder of an extension",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{ "schema": PBX_SCHEMA, "required": false }],
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
    })
}

fn attribute(name: &str, kind: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": required,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn user_schema(base: &str) -> Value {
    let mut user_name = attribute(
        "userName",
        "string",
        true,
        "The person's sign-in name at the identity provider; unique in the domain.",
    );
    user_name["uniqueness"] = "server".into();
    let mut name = attribute("name", "complex", true, "The person's name.");
    name["subAttributes"] = json!([
        attribute("givenName", "string", true, "First name."),
        attribute("familyName", "string", true, "Last name."),
    ]);
    let mut emails =
        attribute("emails", "complex", false, "The person's work email address: the welcome email goes there.");
    emails["multiValued"] = true.into();
    let mut kind = attribute("type", "string", false, "Only a work address is kept.");
    kind["canonicalValues"] = json!(["work"]);
    emails["subAttributes"] = json!([attribute("value", "string", false, "The address."), kind]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A holder of an extension of the domain",
        "attributes": [
            user_name,
            name,
            attribute("displayName", "string", false, "The name shown for the person."),
            emails,
            // Required: identity providers always send it, and removing it would mean nothing.
            attribute("active", "boolean", true, "Whether the person holds an extension: false resets it for the next holder."),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}") },
    })
}

fn pbx_schema(base: &str) -> Value {
    // Switchboard assigns the extension (read-only: a conformance tool's random text is no extension);
    // on create, a value sent is taken as a request for that one, given if free.
    let mut extension = attribute(
        "extension",
        "string",
        false,
        "The extension held, assigned by Switchboard. On create, a value sent asks for that extension: given if free, else the lowest free one.",
    );
    extension["mutability"] = "readOnly".into();
    // Returned when asked for (`attributes`): identity providers keep no phone system's fields.
    extension["returned"] = "request".into();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": PBX_SCHEMA,
        "name": "SwitchboardUser",
        "description": "The phone system's side of a user",
        "attributes": [extension],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{PBX_SCHEMA}") },
    })
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": resources.len(),
        "startIndex": 1,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

pub fn resource_types(base: &str) -> Value {
    list(vec![user_type(base)])
}

/// One resource type by its id.
pub fn resource_type(base: &str, id: &str) -> Option<Value> {
    id.eq_ignore_ascii_case("User").then(|| user_type(base))
}

pub fn schemas(base: &str) -> Value {
    list(vec![user_schema(base), pbx_schema(base)])
}

/// One schema by its URN.
pub fn schema(base: &str, id: &str) -> Option<Value> {
    [user_schema(base), pbx_schema(base)].into_iter().find(|schema| schema["id"].as_str() == Some(id))
}
