//! SeaORM entities, in the shape `sea-orm-cli generate entity` writes them
//! from the migrated schema. Not edited by hand beyond that shape; only
//! repositories use them.

pub mod attachments;
pub mod audit_events;
pub mod equipment;
pub mod login_throttles;
pub mod plan_versions;
pub mod plans;
pub mod refresh_tokens;
pub mod reports;
pub mod result_values;
pub mod results;
pub mod schedules;
pub mod server_secrets;
pub mod site_members;
pub mod sites;
pub mod stats_block_items;
pub mod stats_blocks;
pub mod users;
