//! What the PBX holds: domains, their users, counting rows per owner, and the demo data.

pub mod counts;
pub mod demo;
pub mod domains;
pub mod users;
