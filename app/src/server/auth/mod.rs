//! Who is asking and what they may do: the request's context, sessions, signing in (and its
//! throttle), the scope rules, password hashing and the tokens behind cookies and links.

pub mod authz;
pub mod client;
pub mod passwords;
pub mod request;
pub mod sessions;
pub mod signin;
pub mod throttle;
pub mod tokens;
