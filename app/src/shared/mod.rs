//! What the browser and the server both use: the types that travel between them, the rules both apply
//! (validation, wording), the errors as the user reads them, and every address of the portal.

pub mod accounts;
pub mod bulk;
pub mod error;
pub mod mail;
pub mod model;
pub mod provisioning;
pub mod routes;
pub mod validate;
pub mod words;
