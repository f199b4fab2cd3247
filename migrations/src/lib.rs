//! Database schema of Switchboard, as sea-orm migrations that run unchanged on SQLite and PostgreSQL.
//! The server applies them at start-up (`Migrator::up`), so a new database needs no set-up.

pub use sea_orm_migration::prelude::*;

mod indexes;

mod m20261127_000001_directory;
mod m20261127_000002_subscriber_data;
mod m20261127_000003_sessions_and_audit;
mod m20261127_000004_bulk_jobs;
mod m20261127_000005_outbox_and_links;
mod m20261130_000006_holdings_and_sign_in_limits;
mod m20261130_000007_users_page_at_scale;
mod m20261130_000008_claims_by_holder;
mod m20261201_000009_scheduled_jobs;
mod m20261203_000010_offboarding;
mod m20261203_000011_provisioning;
mod m20261204_000012_users_search_trigrams;
mod m20261204_000013_job_items_without_lease_indexes;
mod m20261206_000014_holders_without_person;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_directory::Migration),
            Box::new(m20261127_000002_subscriber_data::Migration),
            Box::new(m20261127_000003_sessions_and_audit::Migration),
            Box::new(m20261127_000004_bulk_jobs::Migration),
            Box::new(m20261127_000005_outbox_and_links::Migration),
            Box::new(m20261130_000006_holdings_and_sign_in_limits::Migration),
            Box::new(m20261130_000007_users_page_at_scale::Migration),
            Box::new(m20261130_000008_claims_by_holder::Migration),
            Box::new(m20261201_000009_scheduled_jobs::Migration),
            Box::new(m20261203_000010_offboarding::Migration),
            Box::new(m20261203_000011_provisioning::Migration),
            Box::new(m20261204_000012_users_search_trigrams::Migration),
            Box::new(m20261204_000013_job_items_without_lease_indexes::Migration),
            Box::new(m20261206_000014_holders_without_person::Migration),
        ]
    }
}
