//! SeaORM entities, one per table of the `migrations` crate.

pub mod answering_rule;
pub mod audit_log;
pub mod bulk_job;
pub mod bulk_job_item;
pub mod call_history;
pub mod call_queue;
pub mod contact;
pub mod device;
pub mod domain;
pub mod outbox_message;
pub mod password_link;
pub mod phone_number;
pub mod queue_membership;
pub mod reseller;
pub mod scim_token;
pub mod scim_user;
pub mod session;
pub mod signin_count;
pub mod signin_lock;
pub mod user;
pub mod voicemail_greeting;
pub mod voicemail_message;
