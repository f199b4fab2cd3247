//! Provisioning from an identity provider (Okta, Entra ID) over SCIM 2.0: the domain's API tokens, its
//! deprovisioning options, the people it knows and what each change to one does to the phone system,
//! and the protocol itself.

pub mod changes;
pub mod deprovisioning;
pub mod holder;
pub mod people;
pub mod person;
pub mod scim;
pub mod tokens;
pub mod turns;
