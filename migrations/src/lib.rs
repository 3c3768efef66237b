//! Schema migrations, run at start-up and by `tessera migrate`.
//! They describe tables with `DeriveIden` enums and never import entities, so an old
//! migration keeps compiling whatever the entities become.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_accounts;
mod m20261122_000002_create_sessions;
mod m20261122_000003_create_settings;
mod m20261122_000004_create_audit_events;
mod m20261122_000005_create_access_tokens;
mod m20261122_000006_create_endpoints;
mod m20261124_000007_create_change_counter;
mod m20261124_000008_create_attempt_limits;
mod m20261124_000009_count_refused_calls;
mod m20261124_000010_index_token_sorts;
mod m20261124_000011_primary_issued;
mod m20261124_000012_token_issued_at;
mod m20261124_000013_token_allowlist;
mod m20261124_000014_token_rotation;
mod m20261124_000015_token_scope_use;
mod m20261125_000016_token_rate_limit;
mod m20261125_000017_token_usage_days;
mod m20261125_000018_token_imported;
mod m20261125_000019_endpoint_overlap_allowlist;
mod m20261126_000020_webhooks;
mod m20261127_000021_token_name_search;
mod m20261127_000022_previous_digest_indexes;
mod m20261207_000023_audit_refusal_counts;
mod m20261207_000024_username_skeleton;
mod m20261208_000025_groups_and_rights;
mod m20261208_000026_token_suspension;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_accounts::Migration),
            Box::new(m20261122_000002_create_sessions::Migration),
            Box::new(m20261122_000003_create_settings::Migration),
            Box::new(m20261122_000004_create_audit_events::Migration),
            Box::new(m20261122_000005_create_access_tokens::Migration),
            Box::new(m20261122_000006_create_endpoints::Migration),
            Box::new(m20261124_000007_create_change_counter::Migration),
            Box::new(m20261124_000008_create_attempt_limits::Migration),
            Box::new(m20261124_000009_count_refused_calls::Migration),
            Box::new(m20261124_000010_index_token_sorts::Migration),
            Box::new(m20261124_000011_primary_issued::Migration),
            Box::new(m20261124_000012_token_issued_at::Migration),
            Box::new(m20261124_000013_token_allowlist::Migration),
            Box::new(m20261124_000014_token_rotation::Migration),
            Box::new(m20261124_000015_token_scope_use::Migration),
            Box::new(m20261125_000016_token_rate_limit::Migration),
            Box::new(m20261125_000017_token_usage_days::Migration),
            Box::new(m20261125_000018_token_imported::Migration),
            Box::new(m20261125_000019_endpoint_overlap_allowlist::Migration),
            Box::new(m20261126_000020_webhooks::Migration),
            Box::new(m20261127_000021_token_name_search::Migration),
            Box::new(m20261127_000022_previous_digest_indexes::Migration),
            Box::new(m20261207_000023_audit_refusal_counts::Migration),
            Box::new(m20261207_000024_username_skeleton::Migration),
            Box::new(m20261208_000025_groups_and_rights::Migration),
            Box::new(m20261208_000026_token_suspension::Migration),
        ]
    }
}
