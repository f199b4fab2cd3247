pub mod dialog;
pub mod header;
pub mod password_form;
pub mod problem;
pub mod title;
