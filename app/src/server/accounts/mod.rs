//! What happens to one account outside a reset: the Send Welcome Email and Force Password Reset
//! actions, the set-password links they send, and choosing a new password through one.

pub mod actions;
pub mod links;
pub mod new_password;
