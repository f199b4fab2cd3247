//! What happens to one account outside a bulk job: the set-password links that welcome and reset
//! emails carry, and choosing a new password through one.

pub mod links;
pub mod new_password;
