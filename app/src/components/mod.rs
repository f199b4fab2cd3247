pub mod dialog;
pub mod header;
pub mod live;
pub mod password_form;
pub mod problem;
pub mod title;
