//! Components more than one page uses.

pub mod action_state;
pub mod bulk_action;
pub mod clock;
pub mod dialog;
pub mod event_source;
pub mod field;
pub mod header;
pub mod job_widgets;
pub mod listing;
pub mod not_allowed;
pub mod password_form;
pub mod problem;
pub mod selection;
pub mod show_more;
pub mod title;
