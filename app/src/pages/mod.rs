pub mod activity;
pub mod domains;
pub mod login;
pub mod me;
pub mod not_found;
pub mod users;
