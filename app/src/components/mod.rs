pub mod dialog;
pub mod field;
pub mod header;
pub mod listing;
pub mod live;
pub mod password_form;
pub mod problem;
pub mod title;
