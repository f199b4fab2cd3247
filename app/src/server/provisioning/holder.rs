//! A domain's identity provider, known by the API token its request carried (`tokens::authenticate`):
//! what every provisioning change acts as.

use crate::server::entities::{domain, scim_token};

/// The token and the one domain it acts on.
#[derive(Clone, Debug)]
pub struct TokenHolder {
    pub token: scim_token::Model,
    pub domain: domain::Model,
    /// Who the audit log, the outbox and the Activity page name for what the token does: "Okta (API token)".
    pub label: String,
}
