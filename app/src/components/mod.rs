pub mod dialog;
pub mod header;
pub mod problem;
