//! What the Provisioning page shows and sends: the SCIM address and tokens of a domain, and the reset
//! options a deactivation from the identity provider clears.

use crate::shared::bulk::ResetOptions;
use serde::{Deserialize, Serialize};

/// The longest name of an API token.
pub const MAX_TOKEN_NAME_LEN: usize = 100;

/// An API token of a domain, as listed (the token itself is shown once, when made, and never kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub name: String,
    pub created_by: String,
    /// "2026-12-03 14:05 UTC".
    pub created: String,
    /// `None`: never used.
    pub last_used: Option<String>,
}

/// A domain's Provisioning page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provisioning {
    pub domain: String,
    /// The SCIM base URL to paste into the identity provider.
    pub base_url: String,
    pub tokens: Vec<ApiToken>,
    pub deprovisioning: ResetOptions,
}

/// A token just made: shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub name: String,
    pub token: String,
}

/// A change the identity provider made (or an admin made to provisioning), as the Activity page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningChange {
    /// "2026-12-03 14:05 UTC".
    pub at: String,
    pub domain: String,
    /// The token's name ("Okta (API token)"), or the admin's login.
    pub by: String,
    /// "Deactivated ann@acme.example: extension 201 reset".
    pub what: String,
}
